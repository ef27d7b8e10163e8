"""The only code that speaks HTTP: secuconnect authentication, Smart Transactions, Loyalty calls."""
