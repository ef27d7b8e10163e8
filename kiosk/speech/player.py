"""Plays speech through pygame's mixer on a reserved channel: a new utterance cuts the old one."""

from __future__ import annotations

import io
import logging

import pygame

log = logging.getLogger(__name__)


class MixerPlayer:
    """Channel 0, reserved so that the UI's feedback sounds never take it; silent without audio."""

    def __init__(self, enabled: bool = True) -> None:
        self.channel: pygame.mixer.Channel | None = None
        self.volume = 1.0
        if not enabled:
            return
        try:
            if not pygame.mixer.get_init():
                # The UI's sounds use the same format; espeak-ng speaks at 22050 Hz mono.
                pygame.mixer.init(frequency=22050, size=-16, channels=1)
            pygame.mixer.set_reserved(1)
            self.channel = pygame.mixer.Channel(0)
        except pygame.error as exc:
            log.info("speech is silent: no usable audio device (%s)", exc)

    @property
    def available(self) -> bool:
        return self.channel is not None

    def set_volume(self, volume: float) -> None:
        self.volume = min(1.0, max(0.0, volume))
        if self.channel is not None:
            self.channel.set_volume(self.volume)

    def play(self, wav: bytes) -> None:
        """Start `wav` now, cutting off whatever this channel was saying."""
        if self.channel is None:
            return
        try:
            self.channel.stop()
            self.channel.set_volume(self.volume)
            self.channel.play(pygame.mixer.Sound(file=io.BytesIO(wav)))
        except pygame.error as exc:   # a headset pulled out mid-word must not stop the kiosk
            log.info("speech not played: %s", exc)

    def queue(self, wav: bytes) -> None:
        """Play `wav` right after what is playing (at once when nothing is)."""
        if self.channel is None:
            return
        try:
            self.channel.queue(pygame.mixer.Sound(file=io.BytesIO(wav)))
        except pygame.error as exc:
            log.info("speech not queued: %s", exc)

    def stop(self) -> None:
        if self.channel is not None:
            self.channel.stop()

    def busy(self) -> bool:
        return self.channel is not None and self.channel.get_busy()
