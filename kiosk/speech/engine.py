"""The speech worker: synthesises utterances off the main loop and plays them; the newest wins."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.liveness import Liveness, SupervisedThread
from kiosk.speech.player import MixerPlayer
from kiosk.speech.synth import PhraseCache, SynthesisError, Synthesizer, join_wavs
from kiosk.speech.utterance import Segment, Utterance

log = logging.getLogger(__name__)

# Idle, the speech thread wakes every IDLE_CHECK_S to check in (and to meet a test's fault
# promptly); its deadline allows many missed wake-ups. One synthesis may take SYNTH_DEADLINE_S.
IDLE_CHECK_S = 1.0
IDLE_DEADLINE_S = 30.0
SYNTH_DEADLINE_S = 30.0


@dataclass(frozen=True)
class Spoken:
    """What was said: the text, its whole audio, and how long until the first sound started."""

    text: str
    wav: bytes
    first_audio_s: float
    first_cached: bool


def chunks(utterance: Utterance) -> list[Segment]:
    """Neighbouring segments of the same privacy joined: fewer synthesiser runs, and the
    static ones stay whole phrases that recur screen after screen (good cache keys)."""
    out: list[Segment] = []
    for seg in utterance.segments:
        if out and out[-1].private == seg.private:
            out[-1] = Segment(f"{out[-1].text} {seg.text}", seg.private)
        else:
            out.append(seg)
    return out


class SpeechEngine:
    """Runs under kiosk.liveness supervision as thread "speech" (not vital: a kiosk whose voice
    failed still serves sighted customers, so it never holds back the watchdog)."""

    def __init__(self, synthesizer: Synthesizer, cache_dir: Path, *,
                 player: MixerPlayer | None = None, liveness: Liveness | None = None,
                 on_spoken: Callable[[Spoken], None] | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.synthesizer = synthesizer
        self.cache = PhraseCache(cache_dir)
        self.player = player if player is not None else MixerPlayer()
        self.on_spoken = on_spoken
        self.clock = clock
        self.last: Utterance | None = None
        self._lock = threading.Condition()
        self._wanted: tuple[int, Utterance, float] | None = None
        self._generation = 0
        self._idle = threading.Event()
        self._idle.set()
        registry = liveness if liveness is not None else Liveness()
        self.beat = registry.register("speech", deadline=IDLE_DEADLINE_S, vital=False)
        self.thread = SupervisedThread(self.beat, self._run, threading.Event())

    # --- owner's side (the UI thread) -------------------------------------------------------

    def start(self) -> SpeechEngine:
        self.thread.start()
        return self

    def say(self, utterance: Utterance) -> None:
        """Speak `utterance` instead of whatever is being said or waiting; never blocks."""
        if not utterance:
            return
        with self._lock:
            self._generation += 1
            self._wanted = (self._generation, utterance, self.clock())
            self.last = utterance
            self._idle.clear()
            self._lock.notify()

    def repeat(self) -> None:
        if self.last is not None:
            self.say(self.last)

    def silence(self) -> None:
        """Stop speaking now (the session ended)."""
        with self._lock:
            self._generation += 1
            self._wanted = None
            self.last = None
        self.player.stop()

    def set_volume(self, volume: float) -> None:
        self.player.set_volume(volume)

    def wait_idle(self, timeout: float) -> bool:
        """True once everything asked for is synthesised and handed to the player (tests, demo)."""
        return self._idle.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        self.thread.stopping.set()
        with self._lock:
            self._lock.notify()
        self.thread.join(timeout)
        self.player.stop()

    # --- the thread ---------------------------------------------------------------------------

    def _current(self, generation: int) -> bool:
        with self._lock:
            return generation == self._generation

    def _run(self) -> None:
        while not self.thread.stopping.is_set():
            self.beat()
            with self._lock:
                if self._wanted is None:
                    self._idle.set()
                    self._lock.wait(IDLE_CHECK_S)
                    continue
                generation, utterance, asked = self._wanted
                self._wanted = None
            self.beat(within=SYNTH_DEADLINE_S)
            try:
                self._speak(generation, utterance, asked)
            except SynthesisError as exc:
                log.error("%s", exc)

    def _audio(self, segment: Segment, language: str) -> tuple[bytes, bool]:
        """The segment's WAV and whether it came from the cache."""
        key = self.synthesizer.identity(language)
        if not segment.private:
            cached = self.cache.get(key, segment.text)
            if cached is not None:
                return cached, True
        wav = self.synthesizer.synthesize(segment.text, language)
        if not segment.private:
            try:
                self.cache.put(key, segment.text, wav)
            except OSError as exc:    # a full or read-only disk costs speed, not speech
                log.warning("speech cache %s not written: %s", self.cache.directory, exc)
        return wav, False

    def _speak(self, generation: int, utterance: Utterance, asked: float) -> None:
        parts = chunks(utterance)
        first, first_cached = self._audio(parts[0], utterance.language)
        if not self._current(generation):
            return
        self.player.play(first)
        first_audio = self.clock() - asked
        rest = [self._audio(p, utterance.language)[0] for p in parts[1:]]
        if not self._current(generation):
            return
        if rest:
            self.player.queue(join_wavs(rest))
        if self.on_spoken is not None:
            self.on_spoken(Spoken(utterance.text, join_wavs([first, *rest]), first_audio,
                                  first_cached))
