r"""The spectral core: STFT and its inverse in torch, and the ideal masks.

Shapes, the same words everywhere in seplib:

* waveform ``x``: ``(..., samples)``, e.g. ``(channels, samples)`` or ``(batch, channels, samples)``
* spectrogram ``X``: ``(..., freqs, frames)``, complex, with ``freqs = n_fft // 2 + 1``

A mask :math:`M_j(f, t) \in [0, 1]` for stem :math:`j` gives the estimate
:math:`\hat S_j = M_j \odot X`; the masks below sum to one over the stems, so the estimates
sum back to the mixture. From masks to waveforms: :mod:`seplib.masking`; the oracles, these
masks computed from the true stems: :mod:`seplib.oracles`.

Taught in: 01_stft_and_masks
"""
from __future__ import annotations

import numpy as np
import torch

from .units import seconds_to_samples  # noqa: F401  (seplib.spectral.seconds_to_samples, as before)

N_FFT = 4096
"""Default frame length (samples): 93 ms at 44.1 kHz, as in Open-Unmix."""
HOP = 1024
"""Default hop (samples): 23 ms at 44.1 kHz."""
EPS = 1e-10

MASKS = ("ibm", "irm", "wiener")
"""Ideal mask kinds :func:`seplib.oracles.oracle` knows."""


def frame_to_seconds(frames, rate, hop=HOP):
    """Convert STFT frame indices (or counts) to seconds."""
    return np.asarray(frames) * hop / rate


def _tensor(x, device=None):
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(np.ascontiguousarray(x))
    if not x.is_complex() and x.dtype != torch.float32:
        x = x.float()
    return x.to(device) if device is not None else x


def stft(x, n_fft=N_FFT, hop=HOP, device=None):
    r"""Short-time Fourier transform with a Hann window, frames centred on ``t * hop``.

    .. math:: X(k, t) = \sum_n x(n + tH - N/2)\, w(n)\, e^{-2\pi i k n / N}

    The signal is zero-padded by ``n_fft // 2`` on both sides, exactly like
    ``librosa.stft(x, n_fft, hop_length=hop, center=True, pad_mode="constant")``.

    Args:
        x (np.ndarray or torch.Tensor): waveform ``(..., samples)``
        n_fft (int): frame length :math:`N` in samples
        hop (int): hop size :math:`H` in samples
        device (torch.device): where to compute (default: where ``x`` is)

    Returns:
        X (torch.Tensor): complex spectrogram ``(..., freqs, frames)``,
        ``freqs = n_fft // 2 + 1``, ``frames = 1 + samples // hop``

    Taught in: 01_stft_and_masks
    """
    x = _tensor(x, device)
    shape = x.shape
    window = torch.hann_window(n_fft, device=x.device, dtype=x.dtype)
    X = torch.stft(x.reshape(-1, shape[-1]), n_fft, hop, window=window, center=True,
                   pad_mode="constant", return_complex=True)
    return X.reshape(*shape[:-1], *X.shape[-2:])


def istft(X, length, n_fft=N_FFT, hop=HOP):
    """Inverse STFT by weighted overlap-add; ``istft(stft(x)) == x`` up to float error.

    Args:
        X (torch.Tensor or np.ndarray): complex spectrogram ``(..., freqs, frames)``
        length (int): number of output samples (the original signal's length)
        n_fft (int): frame length used by :func:`stft`
        hop (int): hop size used by :func:`stft`

    Returns:
        x (torch.Tensor): waveform ``(..., samples)`` float32

    Taught in: 01_stft_and_masks
    """
    X = _tensor(X)
    shape = X.shape
    window = torch.hann_window(n_fft, device=X.device)
    x = torch.istft(X.reshape(-1, *shape[-2:]), n_fft, hop, window=window, center=True,
                    length=length)
    return x.reshape(*shape[:-2], x.shape[-1])


def magnitudes(stems, n_fft=N_FFT, hop=HOP, device=None):
    """STFT magnitudes of each stem.

    Args:
        stems (dict): ``{stem: (channels, samples)}``

    Returns:
        mags (dict): ``{stem: (channels, freqs, frames)}`` float tensors

    Taught in: 01_stft_and_masks
    """
    return {name: stft(s, n_fft, hop, device).abs() for name, s in stems.items()}


def ideal_binary_mask(mags):
    r"""Ideal binary masks: each time-frequency bin goes wholly to the loudest stem.

    .. math:: M_j(f,t) = 1 \text{ if } j = \arg\max_k |S_k(f,t)|, \text{ else } 0

    Args:
        mags (dict): ``{stem: (channels, freqs, frames)}`` magnitudes of the true stems

    Returns:
        masks (dict): ``{stem: (channels, freqs, frames)}`` of 0/1, summing to one over stems

    Taught in: 01_stft_and_masks
    """
    names = list(mags)
    winner = torch.stack([mags[n] for n in names]).argmax(dim=0)
    return {n: (winner == i).float() for i, n in enumerate(names)}


def ideal_ratio_mask(mags, power=1.0):
    r"""Ideal ratio masks: each bin is shared in proportion to the stems' magnitudes.

    .. math:: M_j = \frac{|S_j|^p}{\sum_k |S_k|^p}

    ``power=1`` is the IRM, ``power=2`` the Wiener-like mask (see :func:`wiener_mask`).

    Args:
        mags (dict): ``{stem: (channels, freqs, frames)}`` magnitudes
        power (float): exponent :math:`p`

    Returns:
        masks (dict): ``{stem: (channels, freqs, frames)}`` in [0, 1], summing to one

    Taught in: 01_stft_and_masks
    """
    powered = {n: m.clamp_min(0) ** power for n, m in mags.items()}
    total = sum(powered.values())
    n_stems = len(powered)
    # where every stem is silent, share equally so the masks still sum to one
    return {n: torch.where(total > EPS, p / total.clamp_min(EPS), 1.0 / n_stems)
            for n, p in powered.items()}


def wiener_mask(mags):
    r"""Wiener masks from the stems' power spectra: :math:`M_j = |S_j|^2 / \sum_k |S_k|^2`.

    Args:
        mags (dict): ``{stem: (channels, freqs, frames)}`` magnitudes

    Returns:
        masks (dict): ``{stem: (channels, freqs, frames)}`` in [0, 1], summing to one

    Taught in: 01_stft_and_masks
    """
    return ideal_ratio_mask(mags, power=2.0)


def phase_sensitive_mask(specs, X, bounds=(0.0, 1.0)):
    r"""Phase-sensitive masks: each stem's projection onto the mixture's direction, per bin.

    .. math:: M_j = \operatorname{Re}\frac{S_j}{X}
              = \frac{|S_j|}{|X|}\cos\bigl(\angle S_j - \angle X\bigr)

    A real mask keeps the mixture's phase; of all real :math:`M_j`, this one minimises
    :math:`|M_j X - S_j|^2` in every bin (Erdogan et al., 2015), and over the stems the
    unbounded masks sum to one. Bounded to ``[0, 1]`` (the default), it is the best mask
    in that interval, bin by bin (the error is a parabola in :math:`M_j`).

    Args:
        specs (dict): ``{stem: (channels, freqs, frames)}`` complex STFTs of the true stems
        X (torch.Tensor): complex mixture STFT ``(channels, freqs, frames)``
        bounds (tuple or None): ``(low, high)`` to clip the masks to, or ``None`` for none

    Returns:
        masks (dict): ``{stem: (channels, freqs, frames)}`` real tensors; where the mixture
        is silent the mask is 0

    Taught in: 06_demucs_lite
    """
    power = X.abs() ** 2
    masks = {}
    for name, S in specs.items():
        m = torch.where(power > EPS, (S * X.conj()).real / power.clamp_min(EPS), 0.0)
        masks[name] = m if bounds is None else m.clamp(*bounds)
    return masks
