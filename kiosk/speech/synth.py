"""Text -> WAV bytes: espeak-ng from Debian's packages (offline, German and English voices)."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import wave
from abc import ABC, abstractmethod
from pathlib import Path

ESPEAK = "espeak-ng"
# Slightly slower than espeak's 175 words a minute: customers hear each screen once.
DEFAULT_RATE = 160
VOICES = {"de": "de", "en": "en"}
SYNTH_TIMEOUT_S = 10.0


class SynthesisError(RuntimeError):
    """The synthesiser could not turn a text into audio (missing program, bad output)."""


class Synthesizer(ABC):
    """One voice engine; `name` says which in logs and in `kiosk doctor`."""

    name: str

    @abstractmethod
    def synthesize(self, text: str, language: str) -> bytes:
        """A complete WAV file (16-bit PCM) saying `text` in `language`."""

    @abstractmethod
    def identity(self, language: str) -> str:
        """What makes its audio differ (program, voice, rate): part of the cache key."""


class EspeakSynthesizer(Synthesizer):
    name = "espeak-ng"

    def __init__(self, *, binary: str = ESPEAK, rate: int = DEFAULT_RATE,
                 voices: dict[str, str] | None = None) -> None:
        self.binary = binary
        self.rate = rate
        self.voices = voices or VOICES

    def available(self) -> str | None:
        """The program's path, or None when it is not installed."""
        return shutil.which(self.binary)

    def identity(self, language: str) -> str:
        return f"{self.binary}|{self.voices[language]}|{self.rate}"

    def synthesize(self, text: str, language: str) -> bytes:
        # The text goes through stdin: a text starting with "-" is never read as an option.
        command = [self.binary, "-v", self.voices[language], "-s", str(self.rate), "--stdout",
                   "--stdin"]
        try:
            done = subprocess.run(command, input=text.encode("utf-8"), capture_output=True,
                                  timeout=SYNTH_TIMEOUT_S, check=False)
        except FileNotFoundError as exc:
            raise SynthesisError(f"speech: {self.binary} is not installed "
                                 f"(sudo apt install espeak-ng)") from exc
        except subprocess.TimeoutExpired as exc:
            raise SynthesisError(f"speech: {self.binary} took over {SYNTH_TIMEOUT_S} s") from exc
        if done.returncode != 0 or not done.stdout.startswith(b"RIFF"):
            detail = done.stderr.decode("utf-8", "replace").strip()[:200]
            raise SynthesisError(f"speech: {self.binary} -v {self.voices[language]} failed "
                                 f"(exit {done.returncode}): {detail or 'no WAV on stdout'}")
        return fix_wav_lengths(done.stdout)


def fix_wav_lengths(data: bytes) -> bytes:
    """espeak-ng writing to a pipe cannot seek back: its header claims a huge length. Rewrite it."""
    with wave.open(io.BytesIO(data)) as w:
        params = w.getparams()
        frames = w.readframes(w.getnframes())
    return make_wav(params.nchannels, params.sampwidth, params.framerate, frames)


def make_wav(channels: int, width: int, rate: int, frames: bytes) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


def join_wavs(parts: list[bytes]) -> bytes:
    """One WAV of several in the same format, one after the other."""
    frames = []
    params = None
    for part in parts:
        with wave.open(io.BytesIO(part)) as w:
            p = (w.getnchannels(), w.getsampwidth(), w.getframerate())
            if params is not None and p != params:
                raise SynthesisError(f"speech: cannot join WAVs of formats {params} and {p}")
            params = p
            frames.append(w.readframes(w.getnframes()))
    if params is None:
        raise SynthesisError("speech: nothing to join")
    return make_wav(*params, b"".join(frames))


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnframes() / w.getframerate()


class PhraseCache:
    """Static phrases rendered once, kept as WAV files in the state directory.

    Only texts without customer data are stored (see Segment.private); the file name is a
    hash of synthesiser, voice, rate and text, so a changed voice never plays stale audio.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, key: str, text: str) -> Path:
        digest = hashlib.sha256(f"{key}\n{text}".encode("utf-8")).hexdigest()[:32]
        return self.directory / f"{digest}.wav"

    def get(self, key: str, text: str) -> bytes | None:
        try:
            return self.path(key, text).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, key: str, text: str, data: bytes) -> None:
        path = self.path(key, text)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)    # never a half-written file under the final name
