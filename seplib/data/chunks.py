"""Training data for the learned models: random stereo chunks of songs, with augmentation.

A model never sees a whole song while it trains: it sees a few seconds at a time, cut at a
random place, and (to make a small data set look bigger) each stem can come from a different
song, with its own gain and left/right swap.  The mixture is then remade as the sum of the
chosen stems, so the targets stay exact.

Every chunk is a pure function of ``(seed, epoch, index)``: the same run sees the same data in
the same order, and a resumed run sees what the broken one would have seen.

A small data set is read into memory once (fast); a large one (MUSDB18-HQ: about 34 GB as
float32) stays on disk, and each chunk reads only its own few seconds from the WAV files
(soundfile seeks), so memory does not grow with the number of songs. Both give the very same
chunks; :data:`IN_MEMORY_BYTES` decides between them unless you say (``load=``).

Taught in: 05_unet
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from ..stems import RATE, STEMS
from ..spectral import seconds_to_samples
from . import musdb  # musdb.track_stems, looked up when called

IN_MEMORY_BYTES = 2**30
"""Songs whose stems take at most this many bytes as float32 are read into memory; larger sets
are read from disk, chunk by chunk. 1 GiB is about 12.5 minutes of songs (four stereo stems at
44.1 kHz take 1.4 MB a second): the ``lab`` synthetic set (24 songs of 30 s) fits, the ``full``
one (80 songs) and MUSDB18 (100 songs of about 4 minutes: 34 GB) do not."""
LOADS = ("auto", "memory", "disk")
"""Where chunks are cut from: ``auto`` (by :data:`IN_MEMORY_BYTES`), ``memory`` or ``disk``."""


def load_stems(tracks, stems=STEMS, progress=False):
    """Read every track's stems into memory once.

    Args:
        tracks (list): musdb tracks (from :func:`seplib.data.open_dataset`), or dicts
            ``{stem: (channels, samples)}``, or arrays ``(stems, channels, samples)``
        stems (tuple): which stems, in this order
        progress (bool): show a tqdm bar

    Returns:
        songs (list of np.ndarray): one float32 array ``(stems, channels, samples)`` per track

    Taught in: 05_unet
    """
    from tqdm.auto import tqdm


    songs = []
    for track in tqdm(tracks, desc="loading stems", disable=not progress, leave=False):
        if isinstance(track, np.ndarray) or torch.is_tensor(track):
            song = np.asarray(track, dtype=np.float32)
        else:
            parts = track if isinstance(track, dict) else musdb.track_stems(track, stems)
            missing = [s for s in stems if s not in parts]
            if missing:
                raise ValueError(f"a track has no stem(s) {missing}; it has {list(parts)}")
            song = np.stack([np.asarray(parts[s], dtype=np.float32) for s in stems])
        if song.ndim != 3 or song.shape[0] != len(stems):
            raise ValueError(f"each track must give (stems={len(stems)}, channels, samples), "
                             f"got shape {song.shape}")
        songs.append(song)
    if not songs:
        raise ValueError("no tracks given: the data set split is empty")
    return songs


def _cut(song, start, length):
    """``song[..., start:start + length]``, zero-padded at the end if the song is shorter."""
    piece = song[..., start:start + length]
    if piece.shape[-1] < length:
        piece = np.pad(piece, [(0, 0)] * (piece.ndim - 1) + [(0, length - piece.shape[-1])])
    return piece


class SongsInMemory(list):
    """Songs held in memory: a list of float32 arrays ``(stems, channels, samples)``
    (:func:`load_stems`), with the two methods chunks are cut with.

    Taught in: 05_unet
    """

    def frames(self, t):
        """Length of song ``t`` in samples."""
        return self[t].shape[-1]

    def cut(self, t, j, start, length):
        """Stem ``j`` of song ``t`` from sample ``start``: ``(channels, length)``, zero-padded at the end."""
        return _cut(self[t][j], start, length)


class SongsOnDisk:
    """Songs left on disk, one WAV file per stem; a chunk reads only its own samples.

    Nothing but the file names and lengths is kept, so memory does not grow with the number of
    songs, and the object travels cheaply to DataLoader worker processes.  A chunk read here
    holds the very samples :func:`load_stems` would have put in memory (a mono file is used as
    dual-mono, as there).

    Args:
        paths (list): per song, a list of WAV paths, one per stem (in the stems' order)
        frames (list of int): per song, its length in samples

    Taught in: 05_unet
    """

    def __init__(self, paths, frames):
        self.paths = [[str(p) for p in song] for song in paths]
        self._frames = [int(n) for n in frames]

    def __len__(self):
        return len(self.paths)

    def frames(self, t):
        """Length of song ``t`` in samples."""
        return self._frames[t]

    def cut(self, t, j, start, length):
        """Stem ``j`` of song ``t`` from sample ``start``: ``(channels, length)`` float32, zero-padded."""
        path = self.paths[t][j]
        try:
            with sf.SoundFile(path) as f:
                f.seek(start)  # a WAV seek: no sample before start is read
                audio = f.read(length, dtype="float32", always_2d=True)  # (samples, channels)
        except (RuntimeError, sf.LibsndfileError) as err:
            raise ValueError(f"cannot read {path} ({err})") from None
        piece = audio.T                                     # (channels, samples)
        if piece.shape[0] == 1:                             # mono: dual-mono, as in memory
            piece = np.repeat(piece, 2, axis=0)
        return _cut(piece, 0, length)


def _stem_files(tracks, stems):
    """Per track, the WAV path of each stem, or ``None`` if any track is not a set of WAV files."""
    paths = []
    for track in tracks:
        sources = getattr(track, "sources", None)
        if not isinstance(sources, dict) or any(s not in sources for s in stems):
            return None
        files = [str(getattr(sources[s], "path", "")) for s in stems]
        if not all(f.lower().endswith(".wav") for f in files):
            return None
        paths.append(files)
    return paths


def _wav_frames(track, files):
    """The common length in samples of a track's WAV stems (from their headers)."""
    lengths = {Path(f).name: sf.info(f).frames for f in files}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"track {getattr(track, 'name', '?')!r}: stem files differ in length (samples): {lengths}")
    return next(iter(lengths.values()))


def _stem_track_root(track):
    """The MUSDB18 folder above a ``.stem.mp4`` track's ``train``/``test`` folder."""
    path = Path(str(getattr(track, "path", "")))
    return path.parent.parent if path.parent.name in ("train", "test") else path.parent


def open_songs(tracks, stems=STEMS, load="auto", progress=False):
    """The songs to cut chunks from, in memory or on disk.

    Args:
        tracks (list): musdb tracks (from :func:`seplib.data.open_dataset`), or dicts
            ``{stem: (channels, samples)}``, or arrays ``(stems, channels, samples)``
        stems (tuple): which stems, in this order
        load (str): ``"memory"``: read every song into memory once; ``"disk"``: read each
            chunk from the WAV files (tracks of a MUSDB18-HQ-layout tree only); ``"auto"``:
            memory when the stems take at most :data:`IN_MEMORY_BYTES` as float32 (or the tracks
            are already arrays), else disk
        progress (bool): show a bar while reading into memory

    Returns:
        songs (:class:`SongsInMemory` or :class:`SongsOnDisk`): ``len(songs)``,
        ``songs.frames(t)`` and ``songs.cut(t, j, start, length) -> (channels, length)``

    Raises:
        ValueError: an unknown ``load``; ``load="disk"`` for tracks that are not WAV files; a
            MUSDB18 ``.stem.mp4`` set too large for memory (the message says how to decode it)

    Taught in: 05_unet
    """
    if load not in LOADS:
        raise ValueError(f"load must be one of {LOADS}, got {load!r}")
    tracks = list(tracks)
    on_disk = _songs_on_disk(tracks, stems, load) if load != "memory" and tracks else None
    return on_disk if on_disk is not None else SongsInMemory(load_stems(tracks, stems, progress))


def _float32_bytes(samples, stems):
    """Bytes of ``samples`` samples of every stem, stereo float32."""
    return samples * 2 * len(stems) * 4


def wav_songs(tracks, stems=STEMS):
    """The tracks as :class:`SongsOnDisk` if each stem of each is a WAV file, else ``None``.

    Args:
        tracks (list): musdb tracks (a MUSDB18-HQ-layout tree: one WAV file per stem)
        stems (tuple): which stems, in this order

    Returns:
        songs (SongsOnDisk or None): ``None`` for ``.stem.mp4`` tracks and arrays in memory

    Raises:
        ValueError: a track's stem files differ in length (naming them)

    Taught in: 05_unet
    """
    files = _stem_files(tracks, stems)
    if files is None:
        return None
    return SongsOnDisk(files, [_wav_frames(track, f) for track, f in zip(tracks, files)])


def references_of(track, stems=STEMS):
    """A track's true stems as the oracles take them: on disk when they are WAV files (each block
    of a long song reads only its own samples), else read whole.

    Args:
        track: a musdb track
        stems (tuple): which stems

    Returns:
        references (SongsOnDisk or dict): pass as ``separate("oracle-...", ..., references=...)``

    Taught in: 01_stft_and_masks
    """

    songs = wav_songs([track], stems)
    if songs is None:  # a .stem.mp4 track: its stems are decoded whole
        return musdb.track_stems(track, stems)
    songs.name = track.name
    return songs


def _songs_on_disk(tracks, stems, load):
    """:class:`SongsOnDisk` when the songs stay on disk, ``None`` when they are read into memory
    (see :func:`open_songs`); raises where ``load`` asks for what these tracks cannot do."""
    songs = wav_songs(tracks, stems)
    if songs is not None:  # WAV files: their headers say how big they are
        total = sum(songs.frames(t) for t in range(len(songs)))
        if load == "disk" or _float32_bytes(total, stems) > IN_MEMORY_BYTES:
            return songs
        return None
    stem_files = [t for t in tracks if str(getattr(t, "path", "")).lower().endswith(".mp4")]
    if stem_files:  # MUSDB18: compressed, decoded by ffmpeg at every read
        size = _float32_bytes(sum(int(getattr(t, "samples", 0) or 0) for t in stem_files), stems)
        if load == "disk" or size > IN_MEMORY_BYTES:
            root = _stem_track_root(stem_files[0])
            out = root.with_name(f"{root.name}-wav")
            raise ValueError(f"{root}: the songs are MUSDB18 .stem.mp4 files ({size / 2**30:.1f} GiB as float32 "
                             f"stems, too many for memory); decode them once: `seplib data decode --root {root} "
                             f"--out {out}`, then train with `--root {out}`")
        return None
    if load == "disk":
        raise ValueError("load='disk' reads chunks from WAV files (the tracks of a MUSDB18-HQ-layout tree); "
                         "these tracks are arrays already in memory: use load='memory' or 'auto'")
    return None


class RandomChunks(torch.utils.data.Dataset):
    """Random training chunks with gain, channel-swap, cross-song remix and noise augmentation.

    Item ``i`` is ``(mixture (channels, samples), stems (n_stems, channels, samples))`` float32
    tensors with ``mixture == stems.sum(0)`` (unless ``noise > 0``, which is added to the
    mixture only).  It depends only on ``(seed, epoch, i)``; call :meth:`set_epoch` to get
    fresh chunks each epoch (``seplib.train.fit`` does).  The songs are read into memory or
    left on disk (``load``); the chunks are the same either way.

    Args:
        tracks (list): musdb tracks, dicts or arrays (see :func:`load_stems`)
        seconds (float): chunk length in seconds
        samples_per_epoch (int): the data set's length (chunks per epoch)
        rate (int): sample rate in Hz
        stems (tuple): stem names, in order
        gain (tuple): ``(low, high)``: each stem is scaled by a uniform random gain; ``None``: off
        swap (float): probability of swapping left and right, per stem
        remix (float): probability that each stem comes from a different random song
            (else all four from the same place of one song)
        noise (float): standard deviation of white noise added to the mixture (0: off)
        seed (int): the data seed
        progress (bool): show a bar while loading
        load (str): ``"auto"``, ``"memory"`` or ``"disk"`` (see :func:`open_songs`)

    Taught in: 05_unet
    """

    def __init__(self, tracks, seconds=6.0, samples_per_epoch=1000, rate=RATE, stems=STEMS,
                 gain=(0.25, 1.25), swap=0.5, remix=0.5, noise=0.0, seed=0, progress=False, load="auto"):
        self.length = seconds_to_samples(seconds, rate)
        if self.length < 1 or samples_per_epoch < 1:
            raise ValueError(f"need seconds > 0 and samples_per_epoch >= 1, got {seconds}, "
                             f"{samples_per_epoch}")
        self.songs = open_songs(tracks, stems, load, progress)
        self.stems, self.rate = tuple(stems), rate
        self.samples_per_epoch = samples_per_epoch
        self.gain, self.swap, self.remix, self.noise = gain, swap, remix, noise
        self.seed, self.epoch = seed, 0

    def __len__(self):
        return self.samples_per_epoch

    def set_epoch(self, epoch):
        """Chunks of epoch ``epoch`` (a different random draw for each epoch)."""
        self.epoch = int(epoch)

    def _start(self, rng, t):
        return int(rng.integers(0, max(self.songs.frames(t) - self.length, 0) + 1))

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} chunks")
        rng = np.random.default_rng([self.seed, self.epoch, index])
        n, count = len(self.songs), len(self.stems)
        if rng.random() < self.remix:  # each stem from its own song and place
            places = [(int(t), j, self._start(rng, int(t))) for j, t in enumerate(rng.integers(0, n, size=count))]
        else:  # one song, one place: the stems as they were mixed
            t = int(rng.integers(0, n))
            start = self._start(rng, t)
            places = [(t, j, start) for j in range(count)]
        gains = np.ones(count, np.float32) if self.gain is None else \
            rng.uniform(*self.gain, size=count).astype(np.float32)
        flip = rng.random(count) < self.swap
        # one pass per stem: cut, swap the channels, scale, written straight into the batch item
        stems = None                                        # (stems, channels, samples)
        for j, (t, stem, start) in enumerate(places):
            piece = self.songs.cut(t, stem, start, self.length)  # (channels, samples)
            if stems is None:
                stems = np.empty((count,) + piece.shape, np.float32)
            np.multiply(piece[::-1] if flip[j] else piece, gains[j], out=stems[j])
        mixture = stems.sum(axis=0)
        if self.noise > 0:
            mixture = mixture + self.noise * rng.standard_normal(mixture.shape).astype(np.float32)
        return torch.from_numpy(np.ascontiguousarray(mixture, dtype=np.float32)), \
            torch.from_numpy(np.ascontiguousarray(stems, dtype=np.float32))


class FixedChunks(torch.utils.data.Dataset):
    """A fixed validation set: ``per_track`` evenly spaced chunks of every track, no augmentation.

    Item ``i`` is ``(mixture (channels, samples), stems (n_stems, channels, samples))``, the
    same every time; the mixture is the sum of the stems.  Long songs of a large set stay on
    disk (``load``): each item reads its own chunk, so validating on whole MUSDB18 songs holds
    one chunk at a time, never a whole song.

    Args:
        tracks (list): musdb tracks, dicts or arrays (see :func:`load_stems`)
        seconds (float): chunk length in seconds
        per_track (int): chunks per track
        rate (int): sample rate in Hz
        stems (tuple): stem names, in order
        progress (bool): show a bar while loading
        load (str): ``"auto"``, ``"memory"`` or ``"disk"`` (see :func:`open_songs`)

    Taught in: 05_unet
    """

    def __init__(self, tracks, seconds=6.0, per_track=4, rate=RATE, stems=STEMS, progress=False, load="auto"):
        self.songs = open_songs(tracks, stems, load, progress)
        self.stems, self.rate = tuple(stems), rate
        self.length = seconds_to_samples(seconds, rate)
        self.places = [(t, int(s)) for t in range(len(self.songs))
                       for s in np.linspace(0, max(self.songs.frames(t) - self.length, 0), per_track)]

    def __len__(self):
        return len(self.places)

    def __getitem__(self, index):
        t, start = self.places[index]
        stems = np.stack([self.songs.cut(t, j, start, self.length)   # (stems, channels, samples)
                          for j in range(len(self.stems))])
        return torch.from_numpy(stems.sum(axis=0)), torch.from_numpy(stems)


def spec_augment(spec, freq_masks=2, freq_width=0.1, time_masks=2, time_width=0.1, generator=None):
    """SpecAugment: zero a few random bands of frequencies and spans of frames.

    Apply it to a model's input spectrogram only (never to the targets) so the model
    learns to fill in what it cannot see.

    Args:
        spec (torch.Tensor): spectrogram ``(..., freqs, frames)``, real or complex
        freq_masks (int): number of frequency bands to mask
        freq_width (float): largest band, as a fraction of all frequencies
        time_masks (int): number of time spans to mask
        time_width (float): largest span, as a fraction of all frames
        generator (torch.Generator): for repeatable masks

    Returns:
        spec (torch.Tensor): a masked copy, same shape and dtype

    Taught in: 07_dprnn
    """
    freqs, frames = spec.shape[-2:]
    keep = torch.ones(freqs, frames, device=spec.device)
    for count, width, size, axis in ((freq_masks, freq_width, freqs, 0), (time_masks, time_width, frames, 1)):
        largest = max(int(width * size), 1)
        for _ in range(count):
            w = int(torch.randint(0, largest + 1, (1,), generator=generator))
            start = int(torch.randint(0, max(size - w, 0) + 1, (1,), generator=generator))
            if axis == 0:
                keep[start:start + w, :] = 0
            else:
                keep[:, start:start + w] = 0
    return spec * keep.to(spec.real.dtype if spec.is_complex() else spec.dtype)
