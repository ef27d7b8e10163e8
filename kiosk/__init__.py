"""Self-service loyalty-card top-up kiosk: what a top-up is and how a customer does one."""

__version__ = "0.1.0"
