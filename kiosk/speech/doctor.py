"""`kiosk doctor`'s speech line: espeak-ng says a phrase in each voice; the headset jack found.

No pygame here: the doctor's output (--json too) must not carry pygame's start-up banner.
"""

from __future__ import annotations

import time

from hardware.reader.headset import HeadsetReader
from kiosk.config import Config
from kiosk.diagnose import CheckFailed
from kiosk.speech.phrases import phrase
from kiosk.speech.synth import EspeakSynthesizer, SynthesisError, wav_seconds

CACHE_DIR = "speech-cache"     # below the state directory (kiosk.speech.setup uses it)


def check_speech(config: Config) -> str:
    """The synthesiser says a phrase in each voice; the headset jack, if configured."""
    if not config.speech.enabled:
        return "off ([speech] enabled = false)"
    synth = EspeakSynthesizer(rate=config.speech.rate)
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
