"""Speech cost: time from a screen change to its first audio (phrase cache cold and warm), and
CPU while speaking, through the real utterance builder, espeak-ng and pygame's mixer."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

from kiosk.bench.report import Section, summarise
from kiosk.config import Config


def bench_speech(workdir: Path, *, reps: int, listen_s: float) -> Section:
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    from kiosk.speech.engine import SpeechEngine, Spoken
    from kiosk.speech.player import MixerPlayer
    from kiosk.speech.synth import EspeakSynthesizer, wav_seconds
    from kiosk.speech.utterance import screen_utterance
    from kiosk.ui.gallery import gallery_settings, sample_states

    synth = EspeakSynthesizer()
    if synth.available() is None:
        raise RuntimeError("speech bench: espeak-ng is not installed (sudo apt install espeak-ng)")
    section = Section("speech", "Speech (espeak-ng, phrase cache, pygame mixer)")
    settings = gallery_settings(Config())
    states = [replace(s, language=lang) for s in sample_states(settings).values()
              for lang in ("de", "en")]
    spoken: list[Spoken] = []
    player = MixerPlayer()
    engine = SpeechEngine(synth, workdir / "speech-cache", player=player,
                          on_spoken=spoken.append).start()
    try:
        runs: dict[str, list[float]] = {"cold": [], "warm": []}
        cached_first = 0
        for rep in range(reps):
            for state in states:
                for kind in ("cold", "warm") if rep == 0 else ("warm",):
                    # Screen change -> utterance built from the screen's widgets -> first sound.
                    started = time.perf_counter()
                    utterance = screen_utterance(state, settings)
                    built = time.perf_counter() - started
                    engine.say(utterance)
                    if not engine.wait_idle(30):
                        raise RuntimeError("speech bench: the engine did not finish in 30 s")
                    runs[kind].append(built + spoken[-1].first_audio_s)
                    cached_first += kind == "warm" and spoken[-1].first_cached
        summarise(section, "first_audio_cold", "screen change to first audio, cache empty",
                  runs["cold"], note=f"{len(states) // 2} screen states x 2 languages")
        summarise(section, "first_audio_warm", "screen change to first audio, cache warm",
                  runs["warm"], note=f"{cached_first} of {len(runs['warm'])} started from "
                                     f"the cache (the others begin with customer data)")
        # CPU while speaking: one long utterance synthesised and played for `listen_s`.
        long_state = next(s for s in states if s.screen.value == "other_amount")
        utterance = screen_utterance(long_state, settings)
        engine.silence()
        (workdir / "speech-cache").mkdir(exist_ok=True)
        for cached in (workdir / "speech-cache").glob("*.wav"):
            cached.unlink()    # synthesis included, as for a screen seen the first time
        before, wall0 = os.times(), time.perf_counter()
        engine.say(utterance)
        engine.wait_idle(30)
        audio_s = wav_seconds(spoken[-1].wav)
        while player.busy() and time.perf_counter() - wall0 < listen_s:
            time.sleep(0.05)   # playback runs in SDL's audio thread: sample while it plays
        after, wall = os.times(), time.perf_counter() - wall0
        engine.silence()
        cpu = (after.user + after.system + after.children_user + after.children_system
               - before.user - before.system - before.children_user - before.children_system)
        section.add("speaking_cpu", "CPU while speaking (synthesis + playback)",
                    100 * cpu / wall, "% of one core",
                    f"{min(audio_s, wall):.1f} s of a {audio_s:.1f} s utterance, "
                    f"synthesis by espeak-ng included")
        section.details["audio_driver"] = _audio_driver()
        section.notes.append(
            f"Audio driver '{section.details['audio_driver']}'. First audio is measured from "
            "building the utterance (the screen's widgets) to pygame's Channel.play; "
            "a warm cache still synthesises segments with customer data (balance, card).")
    finally:
        engine.stop()
    return section


def _audio_driver() -> str:
    import pygame

    try:
        return str(pygame.mixer.get_init() and os.environ.get("SDL_AUDIODRIVER", "default"))
    except pygame.error:
        return "none"
