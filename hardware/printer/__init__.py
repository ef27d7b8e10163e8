"""Receipt printer: ESC/POS encoder, serial transport and status."""
