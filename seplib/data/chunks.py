"""Training data for the learned models: random stereo chunks of songs, with augmentation.

A model never sees a whole song while it trains: it sees a few seconds at a time, cut at a
random place, and (to make a small data set look bigger) each stem can come from a different
song, with its own gain and left/right swap.  The mixture is then remade as the sum of the
chosen stems, so the targets stay exact.

Every chunk is a pure function of ``(seed, epoch, index)``: the same run sees the same data in
the same order, and a resumed run sees what the broken one would have seen.

Taught in: 05_unet
"""
from __future__ import annotations

import numpy as np
import torch

from .. import RATE, STEMS
from ..spectral import seconds_to_samples


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

    from .musdb import track_stems

    songs = []
    for track in tqdm(tracks, desc="loading stems", disable=not progress, leave=False):
        if isinstance(track, np.ndarray) or torch.is_tensor(track):
            song = np.asarray(track, dtype=np.float32)
        else:
            parts = track if isinstance(track, dict) else track_stems(track, stems)
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


class RandomChunks(torch.utils.data.Dataset):
    """Random training chunks with gain, channel-swap, cross-song remix and noise augmentation.

    Item ``i`` is ``(mixture (channels, samples), stems (n_stems, channels, samples))`` float32
    tensors with ``mixture == stems.sum(0)`` (unless ``noise > 0``, which is added to the
    mixture only).  It depends only on ``(seed, epoch, i)``; call :meth:`set_epoch` to get
    fresh chunks each epoch (``seplib.train.fit`` does).

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

    Taught in: 05_unet
    """

    def __init__(self, tracks, seconds=6.0, samples_per_epoch=1000, rate=RATE, stems=STEMS,
                 gain=(0.25, 1.25), swap=0.5, remix=0.5, noise=0.0, seed=0, progress=False):
        self.songs = load_stems(tracks, stems, progress)
        self.stems, self.rate = tuple(stems), rate
        self.length = seconds_to_samples(seconds, rate)
        if self.length < 1 or samples_per_epoch < 1:
            raise ValueError(f"need seconds > 0 and samples_per_epoch >= 1, got {seconds}, "
                             f"{samples_per_epoch}")
        self.samples_per_epoch = samples_per_epoch
        self.gain, self.swap, self.remix, self.noise = gain, swap, remix, noise
        self.seed, self.epoch = seed, 0

    def __len__(self):
        return self.samples_per_epoch

    def set_epoch(self, epoch):
        """Chunks of epoch ``epoch`` (a different random draw for each epoch)."""
        self.epoch = int(epoch)

    def _start(self, rng, song):
        return int(rng.integers(0, max(song.shape[-1] - self.length, 0) + 1))

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} chunks")
        rng = np.random.default_rng([self.seed, self.epoch, index])
        n, count = len(self.songs), len(self.stems)
        if rng.random() < self.remix:  # each stem from its own song and place
            sources = []
            for j, t in enumerate(rng.integers(0, n, size=count)):
                sources.append((self.songs[t][j], self._start(rng, self.songs[t])))
        else:  # one song, one place: the stems as they were mixed
            song = self.songs[int(rng.integers(0, n))]
            start = self._start(rng, song)
            sources = [(song[j], start) for j in range(count)]
        gains = np.ones(count, np.float32) if self.gain is None else \
            rng.uniform(*self.gain, size=count).astype(np.float32)
        flip = rng.random(count) < self.swap
        # one pass per stem: cut, swap the channels, scale, written straight into the batch item
        stems = np.empty((count,) + sources[0][0].shape[:-1] + (self.length,), np.float32)
        for j, (source, start) in enumerate(sources):
            piece = _cut(source, start, self.length)
            np.multiply(piece[::-1] if flip[j] else piece, gains[j], out=stems[j])
        mixture = stems.sum(axis=0)
        if self.noise > 0:
            mixture = mixture + self.noise * rng.standard_normal(mixture.shape).astype(np.float32)
        return torch.from_numpy(np.ascontiguousarray(mixture, dtype=np.float32)), \
            torch.from_numpy(np.ascontiguousarray(stems, dtype=np.float32))


class FixedChunks(torch.utils.data.Dataset):
    """A fixed validation set: ``per_track`` evenly spaced chunks of every track, no augmentation.

    Item ``i`` is ``(mixture (channels, samples), stems (n_stems, channels, samples))``, the
    same every time; the mixture is the sum of the stems.

    Args:
        tracks (list): musdb tracks, dicts or arrays (see :func:`load_stems`)
        seconds (float): chunk length in seconds
        per_track (int): chunks per track
        rate (int): sample rate in Hz
        stems (tuple): stem names, in order

    Taught in: 05_unet
    """

    def __init__(self, tracks, seconds=6.0, per_track=4, rate=RATE, stems=STEMS, progress=False):
        self.songs = load_stems(tracks, stems, progress)
        self.stems, self.rate = tuple(stems), rate
        self.length = seconds_to_samples(seconds, rate)
        self.places = [(t, int(s)) for t, song in enumerate(self.songs)
                       for s in np.linspace(0, max(song.shape[-1] - self.length, 0), per_track)]

    def __len__(self):
        return len(self.places)

    def __getitem__(self, index):
        t, start = self.places[index]
        stems = _cut(self.songs[t], start, self.length)
        return torch.from_numpy(stems.sum(axis=0)), torch.from_numpy(np.ascontiguousarray(stems))


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
