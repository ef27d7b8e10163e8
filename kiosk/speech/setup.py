"""Speech for `kiosk run` and `kiosk simulate`: engine, controller and headset reader from config."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from hardware.reader.events import ReaderStatus
from hardware.reader.headset import HeadsetChanged, HeadsetEvent, HeadsetReader
from kiosk.config import Config
from kiosk.flow_events import Event
from kiosk.liveness import Liveness
from kiosk.speech.controller import SpeechController
from kiosk.speech.engine import SpeechEngine, Spoken
from kiosk.speech.phrases import phrase
from kiosk.speech.synth import EspeakSynthesizer, SynthesisError, wav_seconds

log = logging.getLogger(__name__)

CACHE_DIR = "speech-cache"     # below the state directory


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


def check_speech(config: Config) -> str:
    """`kiosk doctor`'s speech line: the synthesiser says a phrase in each voice."""
    from kiosk.diagnose import CheckFailed

    if not config.speech.enabled:
        return "off ([speech] enabled = false)"
    synth = synthesizer_for(config)
    path = synth.available()
    if path is None:
        raise CheckFailed(f"{synth.binary} is not installed (sudo apt install espeak-ng), or "
                          f"set [speech] enabled = false in {config.source or 'the config'}")
    said = []
    for language in ("de", "en"):
        started = time.perf_counter()
        try:
            wav = synth.synthesize(phrase(language, "speech.on"), language)
        except SynthesisError as exc:
            raise CheckFailed(str(exc).removeprefix("speech: ")) from None
        said.append(f"{language} {wav_seconds(wav):.1f} s of audio in "
                    f"{(time.perf_counter() - started) * 1000:.0f} ms")
    return (f"{path} ({synth.name}, {config.speech.rate} words/min): " + ", ".join(said)
            + f"; phrase cache {config.state_dir / CACHE_DIR}; {_headset_line(config)}")


def _headset_line(config: Config) -> str:
    sc = config.speech
    if not sc.headset:
        return f"headset off, hold {sc.start_key} to start speech"
    reader = HeadsetReader(lambda event: None, path=sc.headset_device,
                           name_match=sc.headset_name_match)
    try:
        return f"headset jack: {reader.probe()}"
    except OSError as exc:
        return (f"headset jack not found ({exc.strerror or exc}); customers hold "
                f"{sc.start_key} to start speech")
    finally:
        reader.stop()
