"""Short feedback sounds generated in code; silent and error-free without an audio device."""

from __future__ import annotations

import array
import logging
import math

import pygame

log = logging.getLogger(__name__)

# (frequency Hz, duration s) notes of each sound: rising for good news, falling for refusals.
TUNES: dict[str, tuple[tuple[float, float], ...]] = {
    "accepted": ((880.0, 0.08), (1320.0, 0.10)),
    "rejected": ((440.0, 0.12), (330.0, 0.18)),
    "done": ((660.0, 0.08), (880.0, 0.08), (1320.0, 0.16)),
    # The idle countdown: two even calls, neither good nor bad news.
    "countdown": ((740.0, 0.14), (0.0, 0.10), (740.0, 0.14)),
}
VOLUME = 0.35


def tone_samples(tune: tuple[tuple[float, float], ...], rate: int, channels: int) -> array.array:
    """Signed 16-bit samples of sine notes with short fades (no clicks)."""
    samples = array.array("h")
    for frequency, duration in tune:
        count = int(rate * duration)
        fade = max(1, int(rate * 0.01))
        for i in range(count):
            envelope = min(1.0, i / fade, (count - i) / fade)
            value = int(32767 * VOLUME * envelope * math.sin(2 * math.pi * frequency * i / rate))
            samples.extend([value] * channels)
    return samples


class Sounds:
    """Plays the named sounds; does nothing (and says so once in the log) without audio."""

    def __init__(self, enabled: bool = True) -> None:
        self.sounds: dict[str, pygame.mixer.Sound] = {}
        self.available = False
        if not enabled:
            return
        try:
            if not pygame.mixer.get_init():
                pygame.mixer.init(frequency=22050, size=-16, channels=1)
            rate, size, channels = pygame.mixer.get_init()
            if size != -16:
                raise pygame.error(f"mixer sample format {size} is not signed 16 bit")
            for name, tune in TUNES.items():
                self.sounds[name] = pygame.mixer.Sound(
                    buffer=tone_samples(tune, rate, channels).tobytes())
            self.available = True
        except pygame.error as exc:
            log.info("sounds off: no usable audio device (%s)", exc)
            self.sounds = {}

    def play(self, name: str) -> None:
        sound = self.sounds.get(name)
        if sound is None:
            return
        try:
            sound.play()
        except pygame.error as exc:   # a device that vanished must not stop a top-up
            log.info("sound %s not played: %s", name, exc)
