"""Writes what the kiosk said: a numbered WAV per utterance and a text list (the speech demo)."""

from __future__ import annotations

import threading
from pathlib import Path

from kiosk.speech.engine import Spoken
from kiosk.speech.synth import wav_seconds


class SpeechRecording:
    """Pass `record` as the engine's on_spoken; files land in `folder` as they are spoken."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.list_path = folder / "utterances.txt"
        self.list_path.write_text("", encoding="utf-8")
        self.count = 0
        self._lock = threading.Lock()

    def record(self, spoken: Spoken) -> None:
        with self._lock:
            self.count += 1
            name = f"{self.count:02d}.wav"
            (self.folder / name).write_bytes(spoken.wav)
            line = (f"{name}\t{wav_seconds(spoken.wav):5.1f} s\tfirst audio after "
                    f"{spoken.first_audio_s * 1000:5.0f} ms "
                    f"({'cached' if spoken.first_cached else 'synthesised'})\t{spoken.text}\n")
            with self.list_path.open("a", encoding="utf-8") as f:
                f.write(line)
