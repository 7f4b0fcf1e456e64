"""A model in memory run over a whole track: in overlapping chunks on the model's time grid,
with one loudness scale for the whole track, channel by channel when the channels differ.

:func:`seplib.models.separate_with_model` chooses the model (a checkpoint, the run's own trained
one, the shipped one) and resamples a song that is not at 44.1 kHz; :func:`separate_track` here
runs that model over the song. Nothing here knows model names or checkpoints.

Taught in: 05_unet
"""
from __future__ import annotations

import numpy as np
import torch

from ..blocks import separate_chunked
from .base import mixture_std


def as_mixture(mixture):
    """A mixture as the models take it: a contiguous float32 ``(channels, samples)`` array.

    Raises:
        ValueError: the array is not 2-D (one line naming its shape)
    """
    mixture = np.ascontiguousarray(mixture, dtype=np.float32)
    if mixture.ndim != 2:
        raise ValueError(f"mixture must be (channels, samples), got shape {mixture.shape}")
    return mixture


def _round_up(n, multiple):
    return -(-n // multiple) * multiple


def chunk_grid(chunk_seconds, overlap_seconds, rate, multiple, samples):
    """Chunk and overlap in samples, rounded up to the model's time grid.

    Both are rounded up to a multiple of ``multiple`` (the model's total stride), so that every
    chunk sees the same grid; an overlap that rounding made too long steps back on the grid, and
    a song shorter than one chunk is one chunk without overlap.

    Args:
        chunk_seconds (float): chunk length
        overlap_seconds (float): overlap of neighbouring chunks (less than half a chunk)
        rate (int): sample rate in Hz
        multiple (int): the model's ``chunk_multiple`` (1 when it has none)
        samples (int): the song's length in samples

    Returns:
        chunk (int), overlap (int): in samples

    Raises:
        ValueError: a chunk that is not positive, or an overlap of half a chunk or more
    """
    if not (chunk_seconds > 0 and 0 <= 2 * overlap_seconds < chunk_seconds):
        raise ValueError(f"need chunk_seconds > 0 and 0 <= overlap_seconds < chunk_seconds / 2, "
                         f"got chunk_seconds={chunk_seconds}, overlap_seconds={overlap_seconds}")
    chunk = _round_up(max(int(round(chunk_seconds * rate)), 1), multiple)
    overlap = _round_up(int(round(overlap_seconds * rate)), multiple)
    while 2 * overlap >= chunk:  # rounding up made the overlap too long: step back on the grid
        overlap -= multiple
    if chunk >= _round_up(samples, multiple):  # one chunk holds it all
        chunk, overlap = _round_up(samples, multiple), 0
    return chunk, overlap


def separate_track(model, mixture, rate, chunk_seconds, overlap_seconds, progress=False):
    """Separate a whole track with a model in memory, in overlapping chunks.

    The waveform models normalise every chunk by the whole track's scale (``takes_track_scale``);
    together with the time grid of :func:`chunk_grid` and enough overlap, the result hardly
    depends on the chunk size. The model is left in the mode (train or eval) it came in.

    Args:
        model (nn.Module): a registered model's network (``stems``, ``audio_channels``), on any device
        mixture (np.ndarray): ``(channels, samples)`` float32 at the model's rate; when its channels
            differ from the model's, each channel is separated on its own, copied to the model's
            channels, and the model's output channels averaged
        rate (int): sample rate in Hz (the model's, 44100)
        chunk_seconds (float): chunk length
        overlap_seconds (float): overlap of neighbouring chunks
        progress (bool): show a progress bar over chunks

    Returns:
        estimates (dict): ``{stem: (channels, samples)}`` float32, as long as the mixture

    Taught in: 05_unet
    """
    mixture = as_mixture(mixture)
    if mixture.shape[0] != model.audio_channels:  # e.g. mono into a stereo model: one channel at a time
        out = {}  # {stem: (channels, samples)}, filled channel by channel: one channel's model output held at a time
        for c, channel in enumerate(mixture):
            est = separate_track(model, np.repeat(channel[None], model.audio_channels, axis=0), rate,
                                 chunk_seconds, overlap_seconds, progress)  # {stem: (model channels, samples)}
            for stem in list(est):
                if stem not in out:
                    out[stem] = np.empty(mixture.shape, np.float32)
                out[stem][c] = est.pop(stem).mean(axis=0)
        return out
    dev = next(model.parameters()).device
    chunk, overlap = chunk_grid(chunk_seconds, overlap_seconds, rate, getattr(model, "chunk_multiple", 1),
                                mixture.shape[1])

    kwargs = {}
    if getattr(model, "takes_track_scale", False):  # one scale for the whole track, not one per chunk
        kwargs["std"] = float(mixture_std(torch.from_numpy(mixture)[None]))

    def fn(piece):
        x = torch.from_numpy(np.ascontiguousarray(piece))[None].to(dev)   # (1, channels, chunk)
        est = model(x, **kwargs)[0].float().cpu().numpy()                  # (stems, channels, chunk)
        return dict(zip(model.stems, est))

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return separate_chunked(fn, mixture, chunk, overlap, progress=progress)
    finally:
        model.train(was_training)
