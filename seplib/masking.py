r"""Masks to waveforms: the one spectrogram front end of every masking method.

A mask :math:`M_j(f, t)` for stem :math:`j` gives the estimate
:math:`\hat s_j = \mathrm{iSTFT}(M_j \odot X)`, with the mixture's phase. The classical methods
(HPSS, REPET, NMF, panning), the oracles and the masking networks (U-Net, DPRNN) all go from
masks to waveforms through this module:

* :func:`apply_mask`: the product :math:`M \odot X` of a real mask and a complex spectrogram;
* :func:`masks_to_waveforms`: ``{stem: mask}`` to ``{stem: waveform}``, optionally one channel
  at a time (memory) and with one ``rest`` stem given as the mixture minus the others (the
  estimates then sum to the mixture exactly);
* :func:`stem_masks_to_waveforms`: the same for batched tensors ``(batch, stems, channels,
  freqs, frames)``, differentiable (what the networks train through);
* :func:`masks_in_blocks`: a long song one channel and one block of frames at a time
  (:func:`seplib.blocks.frame_blocks`), the whole-song result with a block's memory.

Taught in: 01_stft_and_masks
"""
from __future__ import annotations

import numpy as np
import torch

from .blocks import frame_blocks
from .spectral import HOP, N_FFT, istft, stft


def apply_mask(X, mask):
    r"""A real mask times a complex spectrogram: :math:`M \odot X`, keeping the mixture's phase.

    A real mask scales the real and imaginary parts alike, so they are multiplied as real
    numbers: the same values as ``X * mask``, without first making the mask complex (a copy).

    Args:
        X (torch.Tensor): complex spectrogram ``(..., freqs, frames)``
        mask (torch.Tensor): real, broadcastable against ``X``, e.g. ``(channels, freqs, frames)``
            or ``(batch, stems, channels, freqs, frames)`` against ``X[:, None]``

    Returns:
        masked (torch.Tensor): complex, the broadcast shape of ``X`` and ``mask``

    Taught in: 01_stft_and_masks
    """
    return torch.view_as_complex(torch.view_as_real(X) * mask[..., None])


def _as_mask(mask, X):
    """A mask as a tensor on ``X``'s device, shaped like ``X`` (a numpy mask is made float32;
    a ``(freqs, frames)`` mask serves every channel)."""
    if not torch.is_tensor(mask):
        mask = torch.as_tensor(np.asarray(mask, dtype=np.float32))
    return mask.to(X.device).expand(X.shape)


def _with_rest(out, mixture, rest):
    """Add ``rest`` to the estimates ``out``: the mixture minus the others (one song-sized sum)."""
    if rest in out:
        raise ValueError(f"rest={rest!r} is also a key of the masks")
    total = np.zeros(mixture.shape, dtype=np.result_type(mixture, *out.values()))
    for estimate in out.values():  # in place: one song-sized sum
        total += estimate
    out[rest] = np.subtract(mixture, total, out=total)
    return out


def masks_to_waveforms(X, masks, length=None, *, mixture=None, rest=None, per_channel=False,
                       n_fft=N_FFT, hop=HOP):
    r"""Apply masks to the mixture's STFT and return to the time domain.

    .. math:: \hat s_j = \mathrm{iSTFT}(M_j \odot X), \qquad
              \hat s_{\mathrm{rest}} = x - \sum_{j \ne \mathrm{rest}} \hat s_j

    Giving one stem as the remainder costs one inverse STFT less and makes the estimates sum to
    the mixture to float precision, whatever the masks.

    Args:
        X (torch.Tensor): complex mixture STFT ``(channels, freqs, frames)``
        masks (dict): ``{stem: (channels, freqs, frames)}`` (or ``(freqs, frames)``, shared by
            the channels), numpy (made float32) or torch, usually in [0, 1]
        length (int): samples in the output (default: the mixture's)
        mixture (np.ndarray): ``(channels, samples)``, the waveform of ``X``; needed for ``rest``
        rest (str): the stem given as the mixture minus the others (not a key of ``masks``)
        per_channel (bool): one channel's masked spectrogram at a time (less memory on long songs)
        n_fft (int), hop (int): STFT frame length and hop

    Returns:
        estimates (dict): ``{stem: (channels, samples)}`` float32 numpy arrays, in the order of
        ``masks``, then ``rest``

    Taught in: 01_stft_and_masks
    """
    if mixture is not None:
        mixture = np.asarray(mixture, dtype=np.float32)
        length = mixture.shape[-1] if length is None else length
    if length is None:
        raise ValueError("masks_to_waveforms needs the output length (or the mixture)")
    if rest is not None and mixture is None:
        raise ValueError(f"rest={rest!r} is the mixture minus the others: pass mixture=")
    if rest is not None and rest in masks:
        raise ValueError(f"rest={rest!r} is also a key of the masks")
    out = {}
    for name, mask in masks.items():
        mask = _as_mask(mask, X)
        if per_channel:  # the masked spectrogram is never held for all channels at once
            out[name] = np.stack([istft(apply_mask(X[c], mask[c]), length, n_fft, hop).cpu().numpy()
                                  for c in range(X.shape[0])])
        else:
            out[name] = istft(apply_mask(X, mask), length, n_fft, hop).cpu().numpy()
    return out if rest is None else _with_rest(out, mixture, rest)


def stem_masks_to_waveforms(X, masks, length, mixture=None, n_fft=N_FFT, hop=HOP):
    """Batched masks times the mixture's STFT, back to waveforms (what the masking networks use).

    Differentiable: the networks' losses on waveforms train through it.

    Args:
        X (torch.Tensor): the mixture's STFT, complex ``(batch, channels, freqs, frames)``
        masks (torch.Tensor): ``(batch, stems, channels, freqs, frames)``, real
        length (int): samples in the output
        mixture (torch.Tensor): ``(batch, channels, samples)``, the waveform of ``X``, for masks
            that sum to one over the stems (softmax): the last stem is then the mixture minus
            the others, one inverse STFT fewer and the same waveform up to float rounding (the
            inverse STFT is linear and gives the mixture back)
        n_fft (int), hop (int): STFT frame length and hop

    Returns:
        estimates (torch.Tensor): ``(batch, stems, channels, samples)``

    Taught in: 05_unet
    """
    if mixture is not None:
        others = stem_masks_to_waveforms(X, masks[:, :-1], length, n_fft=n_fft, hop=hop)
        return torch.cat([others, mixture[:, None] - others.sum(dim=1, keepdim=True)], dim=1)
    return istft(apply_mask(X[:, None], masks.float()), length, n_fft, hop)


def masks_in_blocks(mixture, masks_of, rest=None, n_fft=N_FFT, hop=HOP, block_frames=None):
    r"""Masks applied to a long mixture one channel and one block of frames at a time.

    :math:`\hat s_j = \mathrm{iSTFT}(M_j \odot X)` as in :func:`masks_to_waveforms`, but the
    STFT, the masks and the masked copies exist only for one block of one channel
    (:func:`seplib.blocks.frame_blocks`): the result is the whole-song one (to float
    rounding) and the memory is the block's, whatever the song's length.

    Args:
        mixture (np.ndarray): ``(channels, samples)``
        masks_of (callable): ``masks_of(channel, frames, V) -> {stem: (freqs, len(frames))}``,
            the masks of one channel (an int) over the song's ``frames`` (a slice); ``V`` is
            the mixture's magnitude there (``(freqs, len(frames))`` torch), computed from the
            block's own stretch of signal
        rest (str): the stem given as the mixture minus the others (not a key of the masks)
        n_fft (int), hop (int): STFT frame length and hop
        block_frames (int): frames per block (default :data:`seplib.blocks.BLOCK_FRAMES`)

    Returns:
        estimates (dict): ``{stem: (channels, samples)}`` float32, in the order of the masks
        then ``rest``

    Taught in: 02_hpss
    """
    mixture = np.asarray(mixture, dtype=np.float32)
    out = {}
    for c, channel in enumerate(mixture):
        for _, samples, chunk in frame_blocks(mixture.shape[-1], n_fft, hop, block_frames):
            X = stft(channel[chunk], n_fft, hop)  # (freqs, chunk frames) complex
            first = chunk.start // hop
            keep = slice(samples.start - chunk.start, samples.stop - chunk.start)
            masks = masks_of(c, slice(first, first + X.shape[-1]), X.abs())
            block = masks_to_waveforms(X, masks, chunk.stop - chunk.start, n_fft=n_fft, hop=hop)
            for name, y in block.items():
                if name not in out:
                    out[name] = np.empty_like(mixture)
                out[name][c, samples] = y[keep]
            del X, masks, block  # (a mask may be a view of the caller's whole-channel mask: not kept here)
    return out if rest is None else _with_rest(out, mixture, rest)
