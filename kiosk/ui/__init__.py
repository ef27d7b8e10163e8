"""The touchscreen UI in pygame: main loop, screens, widgets, theme, strings, display rotation."""
