"""One module per screen; each offers `build(ctx) -> list[Widget]`."""
