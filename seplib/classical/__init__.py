r"""Classical separation: median-filter HPSS, REPET and REPET-SIM, NMF, and 4-stem pipelines.

Every method here is a *masking* method. The steps it shares live in this module, once:

1. :func:`spectrogram`: the mixture's STFT :math:`X` and its magnitude :math:`V = |X|`;
2. the method's own idea turns :math:`V` into masks :math:`M_j \in [0, 1]`;
3. :mod:`seplib.masking`, the front end every masking method shares:
   :math:`\hat s_j = \mathrm{iSTFT}(M_j \odot X)`, with one stem (the ``rest``) given as the
   mixture minus the others, so the estimates always sum back to the mixture exactly
   (:func:`masks_to_estimates` here; :func:`seplib.masking.masks_in_blocks` for long songs).

:func:`softmask` is the one soft/hard mask rule HPSS and the pipelines share; the unit
helpers :func:`seconds_to_frames` and :func:`hz_to_bins` turn the physical parameters
(seconds, Hz) into STFT frames and bins.

Modules: :mod:`~seplib.classical.hpss` (02_hpss), :mod:`~seplib.classical.repet`
(03_repet_sim), :mod:`~seplib.classical.nmf` and :mod:`~seplib.classical.pipelines` (04_nmf),
:mod:`~seplib.classical.panning` (10_panning).
Each registers its methods where their functions are defined
(``@seplib.methods.register("hpss", family="classical", ...)``); a new method in one of them is
that one decorator, a new module of methods one more line in ``seplib.methods.BUILTINS``.

Taught in: 02_hpss
"""
from __future__ import annotations

import numpy as np
import torch

from ..blocks import frame_blocks
from ..masking import masks_to_waveforms
from ..spectral import HOP, N_FFT, stft


def seconds_to_frames(seconds, rate, hop=HOP, odd=False):
    """A duration in seconds as a number of STFT frames (at least one).

    Args:
        seconds (float): duration
        rate (int): sample rate in Hz
        hop (int): STFT hop in samples
        odd (bool): round up to an odd count, so a filter of that length has a centre

    Returns:
        frames (int)

    Taught in: 02_hpss
    """
    if seconds <= 0:
        raise ValueError(f"a duration must be positive, got {seconds} s")
    frames = max(1, int(round(seconds * rate / hop)))
    return frames + 1 if odd and frames % 2 == 0 else frames


def hz_to_bins(hz, rate, n_fft=N_FFT, odd=False):
    """A bandwidth in Hz as a number of STFT frequency bins (at least one).

    Args:
        hz (float): bandwidth
        rate (int): sample rate in Hz
        n_fft (int): STFT frame length (bins are ``rate / n_fft`` Hz apart)
        odd (bool): round up to an odd count, so a filter of that length has a centre

    Returns:
        bins (int)

    Taught in: 02_hpss
    """
    if hz <= 0:
        raise ValueError(f"a bandwidth must be positive, got {hz} Hz")
    bins = max(1, int(round(hz * n_fft / rate)))
    return bins + 1 if odd and bins % 2 == 0 else bins


def spectrogram(mixture, n_fft=N_FFT, hop=HOP):
    """The mixture's complex STFT and its magnitude as a numpy array.

    Args:
        mixture (np.ndarray): ``(channels, samples)``
        n_fft (int): frame length
        hop (int): hop size

    Returns:
        X (torch.Tensor): complex ``(channels, freqs, frames)``
        V (np.ndarray): magnitude ``(channels, freqs, frames)`` float32

    Taught in: 02_hpss
    """
    mixture = np.asarray(mixture, dtype=np.float32)
    if mixture.ndim != 2:
        raise ValueError(f"mixture must be (channels, samples), got shape {mixture.shape}")
    if mixture.shape[-1] < n_fft:
        raise ValueError(f"mixture has {mixture.shape[-1]} samples, fewer than one STFT frame "
                         f"(n_fft={n_fft})")
    # one channel at a time: STFT's temporary buffers stay one channel big (long songs)
    X = None
    for c, channel in enumerate(mixture):
        X_c = stft(channel, n_fft, hop)
        if X is None:
            X = torch.empty((len(mixture),) + tuple(X_c.shape), dtype=X_c.dtype)
        X[c] = X_c
        del X_c
    return X, X.abs().numpy()



def magnitude(channel, n_fft=N_FFT, hop=HOP, block_frames=None):
    """One channel's magnitude spectrogram, its STFT made a block of frames at a time.

    The same values as ``spectrogram(channel[None])[1][0]``, but the complex STFT of a long song
    (twice the magnitude's size) is never held: only one block's (:func:`seplib.blocks.frame_blocks`).

    Args:
        channel (np.ndarray): ``(samples,)``
        n_fft (int), hop (int): STFT frame length and hop
        block_frames (int): frames per block (default :data:`seplib.blocks.BLOCK_FRAMES`)

    Returns:
        V (np.ndarray): ``(freqs, frames)`` float32

    Taught in: 03_repet_sim
    """
    channel = np.asarray(channel, dtype=np.float32)
    if channel.ndim != 1 or len(channel) < n_fft:
        raise ValueError(f"need one channel of at least n_fft={n_fft} samples, got shape {channel.shape}")
    V = np.empty((n_fft // 2 + 1, 1 + len(channel) // hop), dtype=np.float32)
    for frames, _, chunk in frame_blocks(len(channel), n_fft, hop, block_frames):
        first = frames.start - chunk.start // hop  # the block's first frame in the chunk's STFT
        X = stft(channel[chunk], n_fft, hop)  # (freqs, chunk frames) complex
        V[:, frames] = X[:, first:first + frames.stop - frames.start].abs().numpy()
    return V


def channel_sum_magnitude(mixture, n_fft=N_FFT, hop=HOP):
    """The magnitude spectrogram summed over channels, made one channel's STFT at a time.

    A long song's complex STFT and the magnitude of every channel are never held at once
    (:func:`magnitude`: a block of one channel's STFT at a time).

    Args:
        mixture (np.ndarray): ``(channels, samples)``
        n_fft (int), hop (int): STFT frame length and hop

    Returns:
        V (np.ndarray): ``(freqs, frames)`` float32

    Taught in: 03_repet_sim
    """
    mixture = np.asarray(mixture, dtype=np.float32)
    total = None
    for channel in mixture:
        V = magnitude(channel, n_fft, hop)
        total = V if total is None else np.add(total, V, out=total)
        del V
    return total


def softmask(X, X_ref, power=2.0, split_zeros=False):
    r"""A soft mask that is large where ``X`` dominates ``X_ref``; a hard mask for ``power=inf``.

    .. math:: M = \frac{X^p}{X^p + X_{\mathrm{ref}}^p}, \qquad
              M_{p=\infty} = [X > X_{\mathrm{ref}}]

    Both inputs are first divided by :math:`\max(X, X_{\mathrm{ref}})` so large powers do not
    overflow. Where both are (numerically) zero the mask is 0, or 1/2 with ``split_zeros``.
    The same rule as ``librosa.util.softmask``.

    Args:
        X (np.ndarray): non-negative, any shape
        X_ref (np.ndarray): non-negative, same shape
        power (float): :math:`p > 0`, or ``np.inf`` for a hard (binary) mask
        split_zeros (bool): give 1/2 instead of 0 where both inputs are zero

    Returns:
        mask (np.ndarray): same shape, in [0, 1] (float for soft, bool for hard)

    Taught in: 02_hpss
    """
    if X.shape != X_ref.shape:
        raise ValueError(f"softmask: shapes differ: {X.shape} vs {X_ref.shape}")
    if power <= 0:
        raise ValueError(f"softmask: power must be positive, got {power}")
    if not np.isfinite(power):
        return X > X_ref
    dtype = X.dtype if np.issubdtype(X.dtype, np.floating) else np.float32
    Z = np.maximum(X, X_ref).astype(dtype)
    silent = Z < np.finfo(dtype).tiny
    Z[silent] = 1
    mask = (X / Z) ** power
    ref = (X_ref / Z) ** power
    good = ~silent
    mask[good] /= mask[good] + ref[good]
    mask[silent] = 0.5 if split_zeros else 0.0
    return mask


def masks_to_estimates(X, masks, mixture, rest=None, n_fft=N_FFT, hop=HOP):
    r"""Apply masks to the mixture STFT and return to the time domain, one channel at a time.

    .. math:: \hat s_j = \mathrm{iSTFT}(M_j \odot X), \qquad
              \hat s_{\mathrm{rest}} = x - \sum_{j \ne \mathrm{rest}} \hat s_j

    The front end every masking method shares, :func:`seplib.masking.masks_to_waveforms`, with
    the mixture given and ``per_channel=True`` (the call shape notebooks 02-04 use).

    Args:
        X (torch.Tensor): complex mixture STFT ``(channels, freqs, frames)``
        masks (dict): ``{stem: (channels, freqs, frames)}`` (or ``(freqs, frames)``, shared by
            the channels) numpy or torch, in [0, 1]
        mixture (np.ndarray): ``(channels, samples)``
        rest (str): name of the stem to give as the remainder (not a key of ``masks``)
        n_fft (int): frame length
        hop (int): hop size

    Returns:
        estimates (dict): ``{stem: (channels, samples)}`` float32, in the order of ``masks``
        then ``rest``

    Taught in: 02_hpss
    """
    return masks_to_waveforms(X, masks, mixture=mixture, rest=rest, per_channel=True, n_fft=n_fft, hop=hop)
