"""Hardware simulators: virtual scanner, pty printer, secuconnect sandbox server."""
