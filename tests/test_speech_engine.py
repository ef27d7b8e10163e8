"""The speech engine with the real espeak-ng and pygame's mixer (SDL's dummy audio driver)."""

import shutil
import threading
from pathlib import Path

import pytest

from kiosk.liveness import Liveness
from kiosk.speech.engine import SpeechEngine, Spoken, chunks
from kiosk.speech.player import MixerPlayer
from kiosk.speech.synth import EspeakSynthesizer, SynthesisError, wav_seconds
from kiosk.speech.utterance import Segment, Utterance

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                reason="espeak-ng missing: tests/run.sh installs it as root")


class GatedEspeak(EspeakSynthesizer):
    """The real synthesiser, held at the first call until the test lets it go on."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.go = threading.Event()
        self.calls: list[str] = []

    def synthesize(self, text: str, language: str) -> bytes:
        self.calls.append(text)
        if len(self.calls) == 1:
            self.entered.set()
            assert self.go.wait(10)
        return super().synthesize(text, language)


def utter(*parts: tuple[str, bool], language: str = "de") -> Utterance:
    return Utterance(language, tuple(Segment(t, p) for t, p in parts))


@pytest.fixture
def spoken() -> list[Spoken]:
    return []


def engine_for(tmp_path: Path, spoken: list[Spoken], synth: EspeakSynthesizer | None = None,
               liveness: Liveness | None = None) -> SpeechEngine:
    return SpeechEngine(synth or EspeakSynthesizer(), tmp_path / "speech-cache",
                        player=MixerPlayer(), liveness=liveness, on_spoken=spoken.append).start()


@pytest.mark.parametrize(("language", "sentence"), [
    ("de", "Ihr neues Guthaben beträgt zwanzig Euro fünfzig."),
    ("en", "Your new balance is twenty euros fifty."),
])
def test_espeak_makes_real_audio(language: str, sentence: str) -> None:
    wav = EspeakSynthesizer().synthesize(sentence, language)
    seconds = wav_seconds(wav)
    # About 40 characters at 160 words a minute: two to five seconds, not silence or garbage.
    assert 1.5 < seconds < 6.0, seconds
    assert len(wav) > 22050 * 2 * 1.5


def test_a_missing_program_is_named() -> None:
    with pytest.raises(SynthesisError, match="espeak-ng-missing is not installed"):
        EspeakSynthesizer(binary="espeak-ng-missing").synthesize("Hallo", "de")


def test_static_phrases_are_cached_on_disk_private_ones_never(tmp_path: Path,
                                                             spoken: list[Spoken]) -> None:
    engine = engine_for(tmp_path, spoken)
    try:
        first = utter(("Karte erkannt.", False), ("Guthaben: zwölf Euro.", True),
                      ("Auswahl: Weiter.", False))
        engine.say(first)
        assert engine.wait_idle(10)
        files = sorted((tmp_path / "speech-cache").glob("*.wav"))
        assert len(files) == 2          # the two static chunks, not the balance
        assert not spoken[0].first_cached
        engine.say(first)
        assert engine.wait_idle(10)
        assert spoken[1].first_cached
        assert sorted((tmp_path / "speech-cache").glob("*.wav")) == files
        # the recording holds all three chunks: longer than the first alone
        assert wav_seconds(spoken[1].wav) > wav_seconds(files[0].read_bytes()) + 1.0
        assert engine.player.available and engine.player.busy()
    finally:
        engine.stop()


def test_a_new_utterance_interrupts_the_old(tmp_path: Path, spoken: list[Spoken]) -> None:
    synth = GatedEspeak()
    engine = engine_for(tmp_path, spoken, synth)
    try:
        engine.say(utter(("Erster Bildschirm.", False)))
        assert synth.entered.wait(10)
        engine.say(utter(("Zweiter Bildschirm.", False)))
        engine.say(utter(("Dritter Bildschirm.", False)))
        synth.go.set()
        assert engine.wait_idle(10)
        assert [s.text for s in spoken] == ["Dritter Bildschirm."]
        assert "Zweiter Bildschirm." not in synth.calls    # skipped, never synthesised
        engine.repeat()
        assert engine.wait_idle(10)
        assert [s.text for s in spoken][-1] == "Dritter Bildschirm."
    finally:
        engine.stop()


def test_the_speech_thread_is_supervised(tmp_path: Path, spoken: list[Spoken]) -> None:
    registry = Liveness()
    engine = engine_for(tmp_path, spoken, liveness=registry)
    try:
        engine.say(utter(("Hallo.", False)))
        assert engine.wait_idle(10)
        assert registry.alive()["speech"] is True
        assert registry.late() == []     # not vital: never holds back the watchdog
    finally:
        engine.stop()
    assert registry.alive()["speech"] is False
    assert registry.late() == []


def test_chunks_join_neighbours_of_the_same_privacy() -> None:
    u = utter(("A.", False), ("B.", False), ("1.", True), ("2.", True), ("C.", False))
    assert [(c.text, c.private) for c in chunks(u)] == [("A. B.", False), ("1. 2.", True),
                                                         ("C.", False)]
