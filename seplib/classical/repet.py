r"""REPET and REPET-SIM: the accompaniment repeats, the voice does not (Rafii and Pardo).

**REPET** assumes the accompaniment repeats with one period. The *beat spectrum* (the
autocorrelation of the power spectrogram along time, averaged over frequency) shows that
period as a peak:

.. math:: b(\ell) = \frac{1}{F}\sum_f \frac{\sum_t V(f,t)^2\,V(f,t+\ell)^2}{T - \ell}

The median of the period-aligned segments of :math:`V` is the *repeating segment*; tiled
along time and clipped to the mixture it models the background,
:math:`W = \min(\tilde V, V)`, and :math:`M = W / V` is the background's soft mask.

**REPET-SIM** drops the fixed period: for each frame :math:`t` it takes the :math:`k` frames
most similar to it (cosine similarity, at least ``min_seconds`` away), and their median is
the background model for that frame:

.. math:: \tilde V(f, t) = \mathrm{median}_{t' \in \mathcal N_k(t)} V(f, t'), \qquad
          \cos(t, t') = \frac{\langle V_{:,t}, V_{:,t'} \rangle}{\|V_{:,t}\|\,\|V_{:,t'}\|}

The similarity is computed a block of frames at a time, so memory grows as
``block * frames``, never ``frames * frames``; and a frame is compared only with the frames
within :data:`MAX_SECONDS` of it (two minutes), so the time grows with the song's length, not
its square.

:func:`librosa_vocal_separation` runs librosa's own recipe (``nn_filter`` with a median) on
the same STFT, for comparison.

Taught in: 03_repet_sim
"""
from __future__ import annotations

import numpy as np
import torch

from ..masking import masks_in_blocks, masks_to_waveforms
from ..spectral import HOP, N_FFT
from .. import methods
from . import channel_sum_magnitude, magnitude, seconds_to_frames, softmask, spectrogram

EPS = 1e-10
ROWS = 64
"""Spectrogram rows (bins) whose autocorrelation :func:`beat_spectrum` computes at a time."""
MAX_SECONDS = 120.0
"""REPET-SIM looks for a frame's similar frames at most this many seconds away from it
(:func:`similar_frames`): a song no longer than this is compared whole, and a longer one
costs time in proportion to its length, not its square."""
MEDIAN_FRAMES = 1024
"""Frames whose neighbours' ``ROWS`` bins REPET-SIM stacks at a time to take their median (10 MB)."""


# --------------------------------------------------------------------------------------------
# REPET: one repeating period
# --------------------------------------------------------------------------------------------
def beat_spectrum(V):
    r"""The beat spectrum: autocorrelation over time of the power spectrogram, mean over freqs.

    Computed with the FFT (Wiener-Khinchin), normalised by the number of overlapping frames
    :math:`T - \ell` (an unbiased estimate) and by its value at lag 0.

    Args:
        V (np.ndarray): magnitude ``(..., freqs, frames)``; leading axes (channels) are averaged

    Returns:
        b (np.ndarray): ``(frames,)`` float64, ``b[0] = 1``; ``b[l]`` is the similarity of the
        spectrogram with itself shifted by ``l`` frames

    Taught in: 03_repet_sim
    """
    V = np.asarray(V)
    rows = V.reshape(-1, V.shape[-1])  # (channels * freqs, frames)
    return _normalised(_autocorrelation_sum(rows), len(rows))


def _autocorrelation_sum(rows):
    """The sum over ``rows`` (``(rows, frames)``) of each row's power autocorrelation, ``(frames,)`` float64."""
    from scipy.fft import next_fast_len

    T = rows.shape[-1]
    n = next_fast_len(2 * T)  # any length >= 2T - 1 gives the linear autocorrelation; a fast one
    total = np.zeros(T)
    for start in range(0, len(rows), ROWS):  # a few rows at a time: bounded memory on long songs
        P = rows[start:start + ROWS].astype(np.float64) ** 2
        spectrum = np.fft.rfft(P, n=n, axis=-1)
        total += np.fft.irfft(np.abs(spectrum) ** 2, n=n, axis=-1)[:, :T].sum(axis=0)
        del P, spectrum
    return total


def _normalised(total, count):
    T = len(total)
    b = total / count / np.arange(T, 0, -1)  # mean over rows; unbiased: T - lag terms at each lag
    return b / max(b[0], EPS)


def beat_spectrum_of_channels(mixture, n_fft=N_FFT, hop=HOP):
    """:func:`beat_spectrum` of the mixture's magnitude spectrogram, one channel's magnitude at a time.

    Args:
        mixture (np.ndarray): ``(channels, samples)``
        n_fft (int), hop (int): STFT frame length and hop

    Returns:
        b (np.ndarray): ``(frames,)`` float64, as ``beat_spectrum(spectrogram(mixture)[1])``

    Taught in: 03_repet_sim
    """
    total, count = 0.0, 0
    for channel in np.asarray(mixture, dtype=np.float32):
        V = magnitude(channel, n_fft, hop)  # (freqs, frames)
        total = total + _autocorrelation_sum(V)
        count += len(V)
        del V
    return _normalised(total, count)


def period_scores(b, min_frames, max_frames):
    r"""How well each candidate period explains the peaks of the beat spectrum.

    The score of a period :math:`p` is the mean, over its multiples :math:`kp` in the first
    three quarters of the beat spectrum, of how far :math:`b` rises there (the peak may be
    one frame off) above its mean over a fixed neighbourhood. A true period scores high at
    every multiple; half of it hits troughs at the odd multiples.

    Args:
        b (np.ndarray): beat spectrum ``(frames,)``
        min_frames (int), max_frames (int): range of candidate periods, in frames

    Returns:
        scores (dict): ``{period in frames: score}``

    Taught in: 03_repet_sim
    """
    n = len(b)
    max_frames = min(int(max_frames), (n - 1) // 2)
    min_frames = max(2, int(min_frames))
    if max_frames < min_frames:
        raise ValueError(f"the signal is too short for periods of {min_frames}..{max_frames} frames "
                         f"({n} frames): shorten min_seconds or give a longer signal")
    limit = (3 * n) // 4  # the far end of the beat spectrum rests on few frames: ignore it
    delta = max(2, min_frames // 2)  # the same neighbourhood for every candidate: no bias
    scores = {}
    for p in range(min_frames, max_frames + 1):
        rises = [b[lag - 1:lag + 2].max() - b[max(lag - delta, 0):lag + delta + 1].mean()
                 for lag in range(p, min(limit, n - 1), p)]
        scores[p] = float(np.mean(rises)) if rises else -np.inf
    return scores


def repeating_period(b, min_frames, max_frames, tolerance=0.75):
    """The repeating period: the best-scoring lag, or the shortest divisor of it that is nearly as good.

    Multiples of the period (two bars for a one-bar loop) also explain the peaks and may
    score a little higher; the shortest divisor of the best lag whose score reaches
    ``tolerance`` times the best is taken instead (see :func:`period_scores`).

    Args:
        b (np.ndarray): beat spectrum ``(frames,)``
        min_frames (int), max_frames (int): range of candidate periods, in frames
        tolerance (float): how close to the best score a shorter period must come

    Returns:
        period (int): in frames

    Taught in: 03_repet_sim
    """
    scores = period_scores(b, min_frames, max_frames)
    best = max(scores, key=scores.get)
    for divisor in range(best // min(scores), 1, -1):  # shortest candidate first
        near = [q for q in range(round(best / divisor) - 1, round(best / divisor) + 2) if q in scores]
        if near:
            q = max(near, key=scores.get)
            if scores[q] >= tolerance * scores[best]:
                return q
    return best


def repeating_segment(V, period, rows=ROWS):
    """The repeating segment: the median of the period-aligned segments of the spectrogram.

    Frames past the last whole period take part in the medians of their positions (a
    shorter last segment). Computed a few rows (bins) at a time: bounded memory on long songs.

    Args:
        V (np.ndarray): magnitude ``(..., freqs, frames)``
        period (int): repeating period in frames
        rows (int): rows whose median is taken at a time

    Returns:
        segment (np.ndarray): ``(..., freqs, period)`` float32

    Taught in: 03_repet_sim
    """
    V = np.asarray(V, dtype=np.float32)
    frames = V.shape[-1]
    count = -(-frames // period)
    flat = V.reshape(-1, frames)
    segment = np.empty((len(flat), period), dtype=np.float32)
    for start in range(0, len(flat), rows):
        part = flat[start:start + rows]
        padded = np.full((len(part), count * period), np.nan, dtype=np.float32)
        padded[:, :frames] = part
        segments = padded.reshape(len(part), count, period)  # (rows, segments, period)
        segment[start:start + rows] = np.nanmedian(segments, axis=-2) if count > 1 else segments[:, 0]
    return segment.reshape(V.shape[:-1] + (period,))


def repeating_model(V, period):
    """The repeating background: the repeating segment (:func:`repeating_segment`), tiled and clipped.

    Args:
        V (np.ndarray): magnitude ``(..., freqs, frames)``
        period (int): repeating period in frames

    Returns:
        W (np.ndarray): ``(..., freqs, frames)``, :math:`\\min(\\tilde V, V)` where
        :math:`\\tilde V` repeats the median segment

    Taught in: 03_repet_sim
    """
    frames = V.shape[-1]
    tiled = np.tile(repeating_segment(V, period), -(-frames // period))[..., :frames]
    return np.minimum(tiled, V)


def background_mask(W, V, highpass_bins=0):
    r"""Soft background mask :math:`M = W / V` (0 where the mixture is silent).

    Args:
        W (np.ndarray): background model ``(..., freqs, frames)``, :math:`0 \le W \le V`
        V (np.ndarray): mixture magnitude, same shape
        highpass_bins (int): the lowest bins go wholly to the background (no voice there)

    Returns:
        mask (np.ndarray): ``(..., freqs, frames)`` float32 in [0, 1]

    Taught in: 03_repet_sim
    """
    mask = np.divide(W, V, out=np.zeros(V.shape, dtype=np.float32), where=V > EPS)
    mask[..., :highpass_bins, :] = 1.0
    return np.clip(mask, 0.0, 1.0, out=mask)


def _highpass_bins(highpass_hz, rate, n_fft):
    return int(np.ceil(highpass_hz * n_fft / rate)) if highpass_hz else 0


@methods.register("repet", family="classical", stems=("vocals", "accompaniment"), taught_in="03_repet_sim",
                  description="REPET: one repeating period is the accompaniment, the rest vocals")
def separate_repet(mixture, rate, min_seconds=1.0, max_seconds=10.0, highpass_hz=100.0,
                   n_fft=N_FFT, hop=HOP):
    """REPET: foreground ``vocals`` and repeating background ``accompaniment``.

    Args:
        mixture (np.ndarray): ``(channels, samples)``
        rate (int): sample rate in Hz
        min_seconds (float), max_seconds (float): range of the repeating period (the longest
            is cut to a third of the signal, so at least three repetitions are seen)
        highpass_hz (float): below this frequency everything goes to the accompaniment
        n_fft (int), hop (int): STFT frame length and hop

    Returns:
        estimates (dict): ``{"vocals", "accompaniment"}`` each ``(channels, samples)``; they
        sum to the mixture

    Taught in: 03_repet_sim
    """
    # The period is found once from every channel; the model and mask are built one channel
    # at a time (each row's median is its own) and applied a block of frames at a time, so
    # only one channel's magnitude and its repeating segment are held: a 10-minute song fits in 2 GiB.
    mixture = np.asarray(mixture, dtype=np.float32)
    b = beat_spectrum_of_channels(mixture, n_fft, hop)
    frames = len(b)
    period = repeating_period(b, seconds_to_frames(min_seconds, rate, hop),
                              min(seconds_to_frames(max_seconds, rate, hop), frames // 3))
    highpass = _highpass_bins(highpass_hz, rate, n_fft)
    segments = {}

    def masks_of(c, block, V_block):  # (freqs, frames of the block) mask, from the channel's segment
        if c not in segments:
            segments.clear()  # one channel's segment at a time
            segments[c] = repeating_segment(magnitude(mixture[c], n_fft, hop), period)
        segment = segments[c]
        tiled = np.take(segment, np.arange(block.start, block.stop) % period, axis=-1)
        V_block = V_block.numpy()
        return {"accompaniment": background_mask(np.minimum(tiled, V_block), V_block, highpass)}

    return masks_in_blocks(mixture, masks_of, "vocals", n_fft, hop)


# --------------------------------------------------------------------------------------------
# REPET-SIM: similar frames instead of one period
# --------------------------------------------------------------------------------------------
def similar_frames(features, k, min_frames, block=256, max_frames=None):
    r"""For each frame, the ``k`` most cosine-similar frames at least ``min_frames`` away.

    Frames are compared a block at a time: memory is ``block * frames`` similarities, never a
    ``frames * frames`` matrix. Frames with negative similarity are never chosen (the frame
    itself stands in for them).

    With ``max_frames``, a frame is compared only with the frames at most ``max_frames`` away
    (as in the online REPET-SIM of Rafii and Pardo, 2013, which looks back over a buffer):
    the time then grows linearly with the song's length, not with its square. When the song
    is shorter than ``max_frames``, every frame is within reach and the result is the
    whole-song one.

    Args:
        features (np.ndarray): ``(frames, dims)`` non-negative, e.g. magnitudes of all
            channels stacked
        k (int): number of neighbours
        min_frames (int): smallest allowed distance :math:`|t - t'|` in frames
        block (int): frames per block
        max_frames (int): largest allowed distance :math:`|t - t'|` in frames (``None``: the
            whole song)

    Returns:
        neighbours (np.ndarray): ``(frames, k)`` int64 frame indices

    Taught in: 03_repet_sim
    """
    features = np.asarray(features, dtype=np.float32)
    n = features.shape[0]
    k = int(min(k, n))
    reach = n if max_frames is None else int(max_frames)
    norms = np.empty((n, 1), dtype=np.float32)
    for start in range(0, n, block):  # a block of rows at a time: no squared copy of the features
        norms[start:start + block] = np.linalg.norm(features[start:start + block], axis=1, keepdims=True)
    unit = features / np.maximum(norms, EPS)
    neighbours = np.empty((n, k), dtype=np.int64)
    for start in range(0, n, block):
        rows = np.arange(start, min(start + block, n))
        lo, hi = max(0, start - reach), min(n, rows[-1] + reach + 1)  # the frames within reach
        columns = np.arange(lo, hi)
        sim = unit[rows] @ unit[lo:hi].T  # (block, columns): the only similarity ever held
        distance = np.abs(rows[:, None] - columns[None, :])
        sim[(distance < min_frames) | (distance > reach)] = -np.inf
        if len(columns) < k:  # fewer candidates than neighbours: the frame itself fills the rest
            sim = np.pad(sim, ((0, 0), (0, k - len(columns))), constant_values=-np.inf)
            columns = np.pad(columns, (0, k - len(columns)))
        top = np.argpartition(-sim, k - 1, axis=1)[:, :k] if k < sim.shape[1] else np.argsort(-sim, axis=1)
        best = np.take_along_axis(sim, top, axis=1)
        neighbours[rows] = np.where(best >= 0, columns[top], rows[:, None])
    return neighbours


def similarity_model(V, neighbours, block=32):
    """The REPET-SIM background: for each frame, the median of its similar frames, clipped.

    The median is the middle value of the ``k`` neighbours (for an even ``k``, the upper of
    the two middle values, as ``scipy.ndimage.median_filter`` takes it). It is what
    ``librosa.decompose.nn_filter(V, rec=R, aggregate=np.median)`` gives, value for value, for
    an odd ``k`` and ``R`` from ``librosa.segment.recurrence_matrix(..., k=k, width=min_frames,
    metric="cosine", mode="affinity")`` (``np.median`` of an even count averages the two
    middle values instead).

    Args:
        V (np.ndarray): magnitude ``(..., freqs, frames)``
        neighbours (np.ndarray): ``(frames, k)`` from :func:`similar_frames`
        block (int): frames per block (bounds memory to ``block * k`` spectra)

    Returns:
        W (np.ndarray): ``(..., freqs, frames)`` float32, :math:`\\min(\\tilde V, V)`

    Taught in: 03_repet_sim
    """
    frames = neighbours.shape[0]
    spectra = np.ascontiguousarray(np.asarray(V, dtype=np.float32).reshape(-1, frames).T)  # (frames, ch*freqs)
    model = _median_of_neighbours(spectra, neighbours, block)
    np.minimum(model, spectra, out=model)
    del spectra
    return model.T.reshape(V.shape)  # a view: no third copy of the spectrogram


def _similarity_mask(V, neighbours, highpass_bins=0, rows=ROWS):
    """REPET-SIM's background mask of one channel, written over its magnitude, a few bins at a time.

    ``background_mask(similarity_model(V, neighbours), V, highpass_bins)``, the same values: a
    bin's model uses only that bin of the similar frames, so each group of ``rows`` bins is
    modelled and turned into its mask in place of its magnitude; no model of the whole song
    is held beside the magnitude (a 10-minute song's is 212 MB per channel).

    Args:
        V (np.ndarray): magnitude ``(freqs, frames)`` float32, overwritten
        neighbours (np.ndarray): ``(frames, k)`` from :func:`similar_frames`
        highpass_bins (int): the lowest bins go wholly to the background

    Returns:
        mask (np.ndarray): ``V``, now the mask ``(freqs, frames)`` in [0, 1]
    """
    for start in range(0, len(V), rows):
        spectra = np.ascontiguousarray(V[start:start + rows].T)  # (frames, rows)
        W = _median_of_neighbours(spectra, neighbours, block=MEDIAN_FRAMES)
        np.minimum(W, spectra, out=W)
        mask = np.divide(W, spectra, out=W, where=spectra > EPS)  # background_mask, in place of W
        mask[spectra <= EPS] = 0.0
        V[start:start + rows] = mask.T
    V[:highpass_bins, :] = 1.0
    return np.clip(V, 0.0, 1.0, out=V)


def _median_of_neighbours(spectra, neighbours, block=32):
    """For each frame, the median of its neighbours' spectra: ``(frames, dims)`` from ``spectra`` ``(frames, dims)``."""
    frames, k = neighbours.shape
    model = np.empty_like(spectra)
    for start in range(0, frames, block):
        stack = spectra[neighbours[start:start + block]]  # (block, k, dims)
        model[start:start + len(stack)] = np.partition(stack, k // 2, axis=1)[:, k // 2]
    return model


@methods.register("repet-sim", family="classical", stems=("vocals", "accompaniment"),
                  taught_in="03_repet_sim",
                  description="REPET-SIM: similar frames model the accompaniment, the rest is vocals")
def separate_repet_sim(mixture, rate, k=40, min_seconds=1.0, highpass_hz=100.0, block=256,
                       n_fft=N_FFT, hop=HOP, max_seconds=MAX_SECONDS):
    """REPET-SIM: foreground ``vocals`` and self-similar background ``accompaniment``.

    Args:
        mixture (np.ndarray): ``(channels, samples)``
        rate (int): sample rate in Hz
        k (int): number of similar frames whose median models the background
        min_seconds (float): similar frames must be at least this far apart (converted by
            :func:`~seplib.classical.seconds_to_frames`)
        highpass_hz (float): below this frequency everything goes to the accompaniment
        block (int): frames compared at a time in :func:`similar_frames` (memory, not results)
        n_fft (int), hop (int): STFT frame length and hop
        max_seconds (float): similar frames are at most this far apart (default
            :data:`MAX_SECONDS`; ``None``: anywhere in the song, whose time grows with the
            square of its length)

    Returns:
        estimates (dict): ``{"vocals", "accompaniment"}`` each ``(channels, samples)``; they
        sum to the mixture

    Taught in: 03_repet_sim
    """
    # Only one channel's magnitude is ever held (the similarity uses their sum, built channel
    # by channel), the STFT a block of frames at a time, and the mask is made in place of the
    # magnitude, a few bins at a time: a 10-minute stereo song fits in 2 GiB.
    mixture = np.asarray(mixture, dtype=np.float32)
    features = channel_sum_magnitude(mixture, n_fft, hop)
    reach = None if max_seconds is None else seconds_to_frames(max_seconds, rate, hop)
    neighbours = similar_frames(features.T, k, seconds_to_frames(min_seconds, rate, hop), block, reach)
    del features
    highpass = _highpass_bins(highpass_hz, rate, n_fft)
    masks = {}

    def masks_of(c, frames, V_block):  # (freqs, frames of the block), from the channel's mask
        if c not in masks:
            masks.clear()  # one channel's mask at a time
            masks[c] = _similarity_mask(magnitude(mixture[c], n_fft, hop), neighbours, highpass)
        return {"accompaniment": masks[c][:, frames]}

    accompaniment = masks_in_blocks(mixture, masks_of, None, n_fft, hop)["accompaniment"]
    masks.clear()  # the last channel's mask: not held while the vocals are made
    return {"vocals": mixture - accompaniment, "accompaniment": accompaniment}


def librosa_vocal_separation(mixture, rate, width_seconds=2.0, margin_background=2.0,
                             margin_vocals=10.0, power=2.0, n_fft=N_FFT, hop=HOP):
    r"""librosa's "vocal separation" recipe, run by librosa on seplib's STFT.

    ``nn_filter`` (median of cosine nearest neighbours at least ``width`` frames away, with
    librosa's default :math:`k = 2\lceil\sqrt{T - 2w + 1}\rceil`; in librosa's default
    ``mode="connectivity"`` these are ``k`` of the nearest candidates, not always the ``k``
    nearest), clipped to the mixture, then soft masks with margins:

    .. math:: M_{\mathrm{acc}} = \mathrm{softmask}(\tilde V,\ \beta_a (V - \tilde V)), \qquad
              M_{\mathrm{voc}} = \mathrm{softmask}(V - \tilde V,\ \beta_v \tilde V)

    The masks need not sum to one, so here the estimates need not sum to the mixture.

    Args:
        mixture (np.ndarray): ``(channels, samples)``
        rate (int): sample rate in Hz
        width_seconds (float): minimum distance between neighbours (librosa's ``width``)
        margin_background (float), margin_vocals (float): the two margins
        power (float): soft mask exponent
        n_fft (int), hop (int): STFT frame length and hop

    Returns:
        estimates (dict): ``{"vocals", "accompaniment"}`` each ``(channels, samples)``

    Taught in: 03_repet_sim
    """
    import librosa

    X, V = spectrogram(mixture, n_fft, hop)
    width = int(librosa.time_to_frames(width_seconds, sr=rate, hop_length=hop))
    rec = librosa.segment.recurrence_matrix(V, metric="cosine", width=width)  # what nn_filter would build
    # the median of each frame's neighbours, taken with the frames first and contiguous: the same
    # values as nn_filter(V, ...), several times faster than on V's strided (channels, freqs) columns
    frames_first = np.ascontiguousarray(np.moveaxis(V, -1, 0))  # (frames, channels, freqs)
    V_filter = np.moveaxis(librosa.decompose.nn_filter(frames_first, rec=rec, aggregate=np.median, axis=0), 0, -1)
    V_filter = np.minimum(V, V_filter)
    masks = {"vocals": softmask(V - V_filter, margin_vocals * V_filter, power),
             "accompaniment": softmask(V_filter, margin_background * (V - V_filter), power)}
    return masks_to_waveforms(X, masks, mixture=mixture, per_channel=True, n_fft=n_fft, hop=hop)
