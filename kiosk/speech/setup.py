"""Speech for `kiosk run` and `kiosk simulate`: engine, controller and headset reader from config."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from hardware.reader.events import ReaderStatus
from hardware.reader.headset import HeadsetChanged, HeadsetEvent, HeadsetReader
from kiosk.config import Config
from kiosk.flow_events import Event
from kiosk.liveness import Liveness
from kiosk.speech.controller import SpeechController
from kiosk.speech.doctor import CACHE_DIR
from kiosk.speech.engine import SpeechEngine, Spoken
from kiosk.speech.synth import EspeakSynthesizer

log = logging.getLogger(__name__)

def synthesizer_for(config: Config) -> EspeakSynthesizer:
    return EspeakSynthesizer(rate=config.speech.rate)


def open_speech(config: Config, *, liveness: Liveness | None = None,
                on_spoken: Callable[[Spoken], None] | None = None
                ) -> SpeechController | None:
    """The speech controller for KioskUi(speech=...), its engine started; None when disabled."""
    if not config.speech.enabled:
        return None
    from kiosk.ui.settings import flow_settings
    synth = synthesizer_for(config)
    if synth.available() is None:
        log.error("speech: %s is not installed (sudo apt install espeak-ng); speech mode off",
                  synth.binary)
        return None
    engine = SpeechEngine(synth, config.state_dir / CACHE_DIR, liveness=liveness,
                          on_spoken=on_spoken).start()
    return SpeechController(config.speech, engine, flow_settings(config, None))


def open_headset(config: Config, controller: SpeechController, post: Callable[[Event], None],
                 *, jack: Any = None) -> HeadsetReader | None:
    """The headset jack reader, when configured; `jack` is a simulator (VirtualHeadsetJack)."""
    sc = config.speech
    if not sc.headset:
        return None

    def on_event(event: HeadsetEvent) -> None:
        if isinstance(event, HeadsetChanged):
            controller.headset(event.plugged, post)
        elif isinstance(event, ReaderStatus) and not event.connected:
            log.info("speech: no headset jack to watch (%s)", event.reason)

    options: dict[str, Any] = {}
    if jack is not None:
        options = {"open_device": jack.open_device, "list_devices": jack.list_devices,
                   "active_switches": jack.active_switches}
    reader = HeadsetReader(on_event, path=sc.headset_device, name_match=sc.headset_name_match,
                           **options)
    reader.start()
    return reader

