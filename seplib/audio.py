"""Reading, writing and playing audio, always as float32 arrays of shape ``(channels, samples)``.

Taught in: 00_getting_started
"""
from __future__ import annotations

import os
import struct
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

    Raises:
        FileNotFoundError: no such file
        ValueError: not audio, no samples, or truncated (a WAV whose header promises more
            samples than the file holds: see :func:`check_complete`)

    Taught in: 00_getting_started
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such audio file")
    check_complete(path)
    try:
        info = sf.info(str(path))
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as err:
        raise ValueError(f"{path}: cannot read it as audio ({err})") from None
    audio = audio.T
    if audio.shape[1] == 0:
        raise ValueError(f"{path}: the file holds no samples")
    if info.format not in ("MPEG", "OGG") and info.frames > audio.shape[1]:  # lossless: the count is exact
        raise ValueError(f"{path}: truncated or damaged: its header says {info.frames} samples, only "
                         f"{audio.shape[1]} could be read")
    return (as_stereo(audio, name=str(path)) if stereo else audio), int(rate)


def wav_frames(path):
    """Samples per channel a WAV file's header promises, and how many the file really holds.

    Reads only the RIFF chunk headers (a few bytes), never the samples.  A file cut short (a
    copy or download that stopped) keeps its header: the header then promises more than the
    file holds, which ``soundfile`` does not report (it reads what is there).

    Args:
        path (str or Path): a file

    Returns:
        (promised, held) (tuple of int), or ``None`` when the file is not a plain RIFF/WAVE
        file or its header gives no data size (a streamed WAV, RF64, another format)

    Taught in: 00_getting_started
    """
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        block_align, pos = None, 12
        while pos + 8 <= size:
            f.seek(pos)
            chunk_id, chunk_size = struct.unpack("<4sI", f.read(8))
            if chunk_id == b"fmt " and chunk_size >= 14:
                block_align = struct.unpack("<H", f.read(14)[12:14])[0]
            elif chunk_id == b"data":
                if not block_align or chunk_size in (0, 0xFFFFFFFF):
                    return None  # no format before the data, or a size left open by a streaming writer
                held = min(chunk_size, size - pos - 8)
                return chunk_size // block_align, held // block_align
            pos += 8 + chunk_size + (chunk_size & 1)  # chunks are word-aligned
    return None


def check_complete(path):
    """Refuse a WAV file cut short: its header promises more samples than it holds.

    Args:
        path (str or Path): an audio file (only WAVs are checked; other formats pass)

    Raises:
        ValueError: one line naming the file, the samples promised and those present

    Taught in: 00_getting_started
    """
    frames = wav_frames(path)
    if frames is not None and frames[1] < frames[0]:
        raise ValueError(f"{path}: truncated WAV: its header says {frames[0]} samples, the file holds "
                         f"{frames[1]} ({frames[1] / max(frames[0], 1):.0%}); copy or write it again")


def resample(audio, rate, target_rate, length=None):
    """Resample ``audio`` from ``rate`` to ``target_rate`` (band-limited, soxr's high quality).

    Args:
        audio (np.ndarray): ``(channels, samples)`` or ``(samples,)``
        rate (int): its sample rate (Hz)
        target_rate (int): the rate wanted (Hz)
        length (int): cut or zero-pad the result to this many samples (e.g. the length of the
            signal before a round trip); default: ``round(samples * target_rate / rate)``

    Returns:
        audio (np.ndarray): float32, same leading shape, ``length`` samples

    Taught in: 00_getting_started
    """
    audio = np.asarray(audio, dtype=np.float32)
    rate, target_rate = int(rate), int(target_rate)
    if rate <= 0 or target_rate <= 0:
        raise ValueError(f"sample rates must be positive, got rate={rate}, target_rate={target_rate}")
    if rate != target_rate and audio.size:
        import soxr

        # channel by channel, a block at a time, into the result (and cut or padded there): the
        # same samples as librosa.resample(..., res_type="soxr_hq") of all channels at once
        # (ceil(samples * target_rate / rate) of them, zero-padded), holding no song-sized copy
        # beside the result (a long song's memory: librosa holds three of each channel)
        rows = audio.reshape(-1, audio.shape[-1])
        wanted = int(np.ceil(rows.shape[1] * target_rate / rate)) if length is None else length
        out = np.zeros((rows.shape[0], wanted), np.float32)
        block = 1 << 16
        for i, row in enumerate(rows):
            stream, at = soxr.ResampleStream(rate, target_rate, 1, dtype="float32", quality="soxr_hq"), 0
            for start in range(0, rows.shape[1], block):
                y = stream.resample_chunk(row[start:start + block], last=start + block >= rows.shape[1])
                keep = max(0, min(len(y), wanted - at))
                out[i, at:at + keep] = y[:keep]
                at += len(y)
        audio = out.reshape(*audio.shape[:-1], out.shape[1])
    if length is not None and audio.shape[-1] != length:
        pad = [(0, 0)] * (audio.ndim - 1) + [(0, max(0, length - audio.shape[-1]))]
        audio = np.pad(audio[..., :length], pad)
    return audio


def at_rate(fn, mixture, rate, work_rate, name):
    """Run a separator that works at one rate on a mixture at any rate: resample in and out.

    ``fn(mixture, work_rate) -> {stem: (channels, samples)}`` sees the mixture at
    ``work_rate``; its stems come back at ``rate``, as long as the mixture.  When the rates
    differ, one warning names the method and both rates (resampling costs a little quality
    and time; a learned model or dictionary only knows the rate it was trained at).

    Args:
        fn (callable): the separator at ``work_rate``
        mixture (np.ndarray): ``(channels, samples)``
        rate (int): the mixture's rate (Hz)
        work_rate (int): the rate ``fn`` works at (Hz)
        name (str): the method, for the warning

    Returns:
        estimates (dict): ``{stem: (channels, samples)}`` at ``rate``

    Taught in: 00_getting_started
    """
    if int(rate) == int(work_rate):
        return fn(mixture, work_rate)
    warnings.warn(f"{name} works at {work_rate} Hz: resampling the {rate} Hz mixture to {work_rate} Hz "
                  f"and its stems back to {rate} Hz", stacklevel=3)
    length = np.shape(mixture)[-1]
    estimates = fn(resample(mixture, rate, work_rate), work_rate)
    # one stem at a time, each let go once resampled: the stems at both rates are never all held
    # at once (a long song at 48 or 96 kHz would need twice the memory)
    back = {}
    for stem in list(estimates):
        back[stem] = resample(estimates.pop(stem), work_rate, rate, length=length)
    return back


def save(path, audio, rate, overwrite=False, subtype=None):
    """Write ``audio`` as a 16-bit WAV (or by extension), refusing to replace an existing file.

    Args:
        path (str or Path): destination file
        audio (np.ndarray): ``(channels, samples)``
        rate (int): sample rate in Hz
        overwrite (bool): allow replacing an existing file
        subtype (str or None): soundfile's subtype, e.g. ``"FLOAT"`` (default: ``PCM_16`` for a WAV)

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
    try:
        sf.write(str(tmp), audio.T, int(rate), subtype=subtype or ("PCM_16" if wav else None))
        os.replace(tmp, path)
    except (OSError, RuntimeError) as err:  # (sf.LibsndfileError is a RuntimeError)
        failed = write_error(err, path, audio.size * 2)
        tmp.unlink(missing_ok=True)
        raise failed from err
    return path


def write_error(err, path, size=0):
    """The ``OSError`` to raise for a write of ``path`` that failed with ``err``, naming ``path``
    (not the temporary file written first).  libsndfile says only "System error." when the disk
    is full: then the free space decides (less than ``size`` bytes and 1 MiB: ``ENOSPC``).

    Args:
        err (Exception): what the write raised
        path (str or Path): the file the user asked for
        size (int): about how many bytes the write needed

    Returns:
        error (OSError): with ``errno``, ``strerror`` and ``filename`` set
    """
    import errno
    import shutil

    if isinstance(err, OSError) and err.errno is not None:
        return OSError(err.errno, err.strerror or str(err), str(path))
    try:
        free = shutil.disk_usage(Path(path).parent).free
    except OSError:
        free = None
    if free is not None and free < max(size, 1 << 20):
        return OSError(errno.ENOSPC, "No space left on device", str(path))
    return OSError(errno.EIO, f"cannot write it ({' '.join(str(err).split())})", str(path))


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
