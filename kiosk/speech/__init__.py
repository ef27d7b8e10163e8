"""Speech output for blind customers: what each screen says (pure) and the TTS worker that says it."""
