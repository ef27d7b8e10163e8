"""Cash payment: the money-safe note-validator session (ledger, note loop, settlement) and till mode."""
