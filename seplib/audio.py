"""Reading, writing and playing audio, always as float32 arrays of shape ``(channels, samples)``.

Taught in: 00_getting_started
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf


def as_stereo(audio, name="audio"):
    """Return ``audio`` as a float32 ``(2, samples)`` array.

    A 1-D or ``(1, samples)`` signal becomes dual-mono (with a warning naming it).

    Args:
        audio (np.ndarray): ``(samples,)``, ``(1, samples)`` or ``(2, samples)``
        name (str): what to call the signal in messages (a file name, a stem)

    Returns:
        audio (np.ndarray): ``(2, samples)`` float32

    Taught in: 00_getting_started
    """
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[None]
    if audio.ndim != 2:
        raise ValueError(f"{name}: expected (channels, samples), got shape {audio.shape}")
    if audio.shape[0] == 1:
        warnings.warn(f"{name} is mono: using it as dual-mono (both channels the same)", stacklevel=2)
        audio = np.repeat(audio, 2, axis=0)
    if audio.shape[0] != 2:
        raise ValueError(f"{name}: expected 1 or 2 channels, got {audio.shape[0]} (shape {audio.shape})")
    return audio


def load(path, stereo=True):
    """Read an audio file.

    Args:
        path (str or Path): a WAV/FLAC/OGG file
        stereo (bool): make the result two channels (mono files become dual-mono)

    Returns:
        audio (np.ndarray): ``(channels, samples)`` float32 in [-1, 1]
        rate (int): sample rate in Hz

    Taught in: 00_getting_started
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such audio file")
    try:
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as err:
        raise ValueError(f"{path}: cannot read it as audio ({err})") from None
    audio = audio.T
    if audio.shape[1] == 0:
        raise ValueError(f"{path}: the file holds no samples")
    return (as_stereo(audio, name=str(path)) if stereo else audio), int(rate)


def save(path, audio, rate, overwrite=False):
    """Write ``audio`` as a 16-bit WAV (or by extension), refusing to replace an existing file.

    Args:
        path (str or Path): destination file
        audio (np.ndarray): ``(channels, samples)``
        rate (int): sample rate in Hz
        overwrite (bool): allow replacing an existing file

    Returns:
        path (Path)

    Taught in: 00_getting_started
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists: not overwriting it (pass overwrite=True / --force)")
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[None]
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 1.0:
        warnings.warn(f"{path}: peak {peak:.2f} > 1, the file will clip", stacklevel=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.part{path.suffix}")  # write, then rename: no half files
    wav = path.suffix.lower() == ".wav"
    sf.write(str(tmp), audio.T, int(rate), subtype="PCM_16" if wav else None)
    os.replace(tmp, path)
    return path


def play(audio, rate, title=None):
    """An audio player for a notebook, at the signal's true loudness (no normalisation).

    Args:
        audio (np.ndarray or torch.Tensor): ``(channels, samples)`` or ``(samples,)``
        rate (int): sample rate in Hz
        title (str): optional caption shown above the player

    Returns:
        player (IPython.display.Audio), or an HTML box with caption and player

    Taught in: 00_getting_started
    """
    from IPython.display import HTML, Audio

    if hasattr(audio, "detach"):
        audio = audio.detach().cpu().numpy()
    audio = np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0)
    player = Audio(audio, rate=rate, normalize=False)
    if title is None:
        return player
    return HTML(f"<div><b>{title}</b><br>{player._repr_html_()}</div>")
