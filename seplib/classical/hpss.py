r"""Harmonic-percussive source separation (HPSS) by median filtering (Fitzgerald, 2010).

In a magnitude spectrogram :math:`V(f, t)` a sustained tone is a *horizontal* line and a
drum hit a *vertical* one. A median filter along time keeps the horizontal lines and removes
the vertical ones; along frequency it does the opposite:

.. math:: \tilde H = \mathrm{median}_t(V, L_h), \qquad \tilde P = \mathrm{median}_f(V, L_p)

Masks compare the two, with a margin :math:`\beta \ge 1` that leaves the undecided bins to a
third part, the residual (Driedger et al., 2014):

.. math:: M_H = \frac{\tilde H^p}{\tilde H^p + (\beta \tilde P)^p}, \quad
          M_P = \frac{\tilde P^p}{\tilde P^p + (\beta \tilde H)^p}, \quad
          M_R = 1 - M_H - M_P

With the same kernel sizes (in frames and bins), power and margin, :func:`hpss_masks` gives
the masks of ``librosa.decompose.hpss(..., mask=True)``.

Taught in: 02_hpss
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter

from ..blocks import separate_in_blocks
from ..masking import masks_to_waveforms
from ..spectral import HOP, N_FFT
from ..stems import RATE
from .. import methods
from . import hz_to_bins, seconds_to_frames, softmask, spectrogram

HARMONIC_SECONDS = 0.2
"""Default length of the harmonic (time) median filter, in seconds."""
PERCUSSIVE_HZ = 500.0
"""Default length of the percussive (frequency) median filter, in Hz."""


def _median_filter_last_axis(V, length):
    """Median filter of every row along the last axis, edges mirrored like scipy's ``reflect``.

    The rows are mirror-padded and laid end to end, so one fast 1-D ``median_filter`` call
    does them all; the padding keeps every kept window inside its own row.
    """
    length = int(length)
    if length < 1:
        raise ValueError(f"a median filter length must be >= 1, got {length}")
    V = np.asarray(V, dtype=np.float32)
    pad = length // 2
    rows = V.reshape(-1, V.shape[-1])
    padded = np.pad(rows, ((0, 0), (pad, pad)), mode="symmetric")  # = scipy's "reflect"
    filtered = median_filter(padded.reshape(-1), size=length, mode="reflect").reshape(padded.shape)
    return np.ascontiguousarray(filtered[:, pad:pad + V.shape[-1]]).reshape(V.shape)


def median_filter_time(V, length):
    """Median filter along time (frames): enhances the horizontal, harmonic lines.

    Args:
        V (np.ndarray): magnitude ``(..., freqs, frames)``
        length (int): filter length :math:`L_h` in frames

    Returns:
        H (np.ndarray): ``(..., freqs, frames)`` float32, edges mirrored: the same values as
        ``scipy.ndimage.median_filter(V, size=(..., 1, length), mode="reflect")``

    Taught in: 02_hpss
    """
    return _median_filter_last_axis(V, length)


def median_filter_freq(V, length):
    """Median filter along frequency (bins): enhances the vertical, percussive lines.

    Args:
        V (np.ndarray): magnitude ``(..., freqs, frames)``
        length (int): filter length :math:`L_p` in bins

    Returns:
        P (np.ndarray): ``(..., freqs, frames)`` float32, edges mirrored: the same values as
        ``scipy.ndimage.median_filter(V, size=(..., length, 1), mode="reflect")``

    Taught in: 02_hpss
    """
    swapped = np.swapaxes(np.asarray(V, dtype=np.float32), -1, -2)
    return np.ascontiguousarray(np.swapaxes(_median_filter_last_axis(swapped, length), -1, -2))


def hpss_masks(V, harmonic_frames, percussive_bins, power=2.0, margin=1.0):
    r"""Harmonic, percussive and residual masks of a magnitude spectrogram.

    Args:
        V (np.ndarray): magnitude ``(..., freqs, frames)``
        harmonic_frames (int): :math:`L_h`, time median filter length in frames
        percussive_bins (int): :math:`L_p`, frequency median filter length in bins
        power (float): :math:`p` of the soft masks; ``np.inf`` for hard (binary) masks
        margin (float or tuple): :math:`\beta \ge 1`, or ``(beta_harmonic, beta_percussive)``;
            above 1, bins that are neither clearly harmonic nor percussive go to the residual

    Returns:
        masks (dict): ``{"harmonic", "percussive", "residual"}`` each ``(..., freqs, frames)``
        float32, summing to one

    Taught in: 02_hpss
    """
    margin_h, margin_p = margin if isinstance(margin, (tuple, list)) else (margin, margin)
    if margin_h < 1 or margin_p < 1:
        raise ValueError(f"margin must be >= 1, got {margin}")
    V = np.asarray(V, dtype=np.float32)
    H = median_filter_time(V, harmonic_frames)
    P = median_filter_freq(V, percussive_bins)
    split = margin_h == 1 and margin_p == 1  # silent bins: half and half when nothing is left over
    m_h = softmask(H, P * margin_h, power, split_zeros=split).astype(np.float32)
    m_p = softmask(P, H * margin_p, power, split_zeros=split).astype(np.float32)
    return {"harmonic": m_h, "percussive": m_p, "residual": np.clip(1 - m_h - m_p, 0, 1)}


def hpss(mixture, rate, harmonic_seconds=HARMONIC_SECONDS, percussive_hz=PERCUSSIVE_HZ,
         power=2.0, margin=1.0, n_fft=N_FFT, hop=HOP):
    """Split a mixture into harmonic, percussive and residual signals.

    Args:
        mixture (np.ndarray): ``(channels, samples)``
        rate (int): sample rate in Hz
        harmonic_seconds (float): time median filter length (converted by
            :func:`~seplib.classical.seconds_to_frames`)
        percussive_hz (float): frequency median filter length (converted by
            :func:`~seplib.classical.hz_to_bins`)
        power (float): soft mask exponent, ``np.inf`` for hard masks
        margin (float or tuple): separation margin (>= 1)
        n_fft (int), hop (int): STFT frame length and hop

    Returns:
        parts (dict): ``{"harmonic", "percussive", "residual"}`` each ``(channels, samples)``
        float32; they sum to the mixture

    Taught in: 02_hpss
    """
    X, V = spectrogram(mixture, n_fft, hop)
    masks = hpss_masks(V, seconds_to_frames(harmonic_seconds, rate, hop, odd=True),
                       hz_to_bins(percussive_hz, rate, n_fft, odd=True), power, margin)
    del masks["residual"]
    return masks_to_waveforms(X, masks, mixture=mixture, rest="residual", per_channel=True, n_fft=n_fft, hop=hop)


BLOCK_SECONDS = 30.0
"""Long songs are separated in blocks of this length at 44.1 kHz (memory bounded by the block);
at a higher rate a block holds as many samples, so it is shorter (96 kHz: 13.8 s, the same memory)."""
OVERLAP_SECONDS = 2.0
"""Overlap of the blocks: far longer than the filters' reach (half of ``harmonic_seconds`` and
one STFT frame), so blocking changes the result by far less than 0.05 dB SDR."""


@methods.register("hpss", family="classical", stems=("drums", "other"), taught_in="02_hpss",
                  description="median-filter HPSS: the percussive part is drums, the rest other")
def separate_hpss(mixture, rate, harmonic_seconds=HARMONIC_SECONDS, percussive_hz=PERCUSSIVE_HZ,
                  power=2.0, margin=1.0, n_fft=N_FFT, hop=HOP, block_seconds=BLOCK_SECONDS,
                  overlap_seconds=OVERLAP_SECONDS):
    """HPSS as a separation method: the percussive part is ``drums``, the rest ``other``.

    ``other`` holds the harmonic part and the residual, so the two estimates sum to the
    mixture. Arguments as in :func:`hpss`; a song longer than ``block_seconds`` is separated
    in overlapping blocks (:func:`seplib.blocks.separate_in_blocks`), ``None`` for whole; above
    44.1 kHz a block holds as many samples as ``block_seconds`` at 44.1 kHz (the same memory).

    Returns:
        estimates (dict): ``{"drums": (channels, samples), "other": (channels, samples)}``

    Taught in: 02_hpss
    """
    if block_seconds is not None and rate > RATE:  # as many samples as at 44.1 kHz: no more memory
        block_seconds = max(block_seconds * RATE / rate, 3 * overlap_seconds)
    return separate_in_blocks(_separate_hpss_whole, mixture, rate, block_seconds, overlap_seconds,
                              harmonic_seconds=harmonic_seconds, percussive_hz=percussive_hz,
                              power=power, margin=margin, n_fft=n_fft, hop=hop)


def _separate_hpss_whole(mixture, rate, harmonic_seconds, percussive_hz, power, margin, n_fft, hop):
    """:func:`separate_hpss` on the whole of ``mixture`` at once, one channel at a time (the
    filters and masks of a channel are its own: the same result, half the memory on stereo)."""
    mixture = np.asarray(mixture, dtype=np.float32)
    out = {"drums": np.empty_like(mixture), "other": np.empty_like(mixture)}
    for c in range(len(mixture)):
        X, V = spectrogram(mixture[c:c + 1], n_fft, hop)  # (1, freqs, frames)
        masks = hpss_masks(V, seconds_to_frames(harmonic_seconds, rate, hop, odd=True),
                           hz_to_bins(percussive_hz, rate, n_fft, odd=True), power, margin)
        del V
        estimates = masks_to_waveforms(X, {"drums": masks["percussive"]}, mixture=mixture[c:c + 1], rest="other",
                                       per_channel=True, n_fft=n_fft, hop=hop)
        for stem in out:
            out[stem][c] = estimates[stem][0]
        del X, masks, estimates
    return out
