"""Card readers: key-event decoder and the evdev and serial readers."""
