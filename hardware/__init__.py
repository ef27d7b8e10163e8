"""Talking to devices (card readers, receipt printer) and simulating them; knows nothing of top-ups."""
