"""The multichannel Wiener post-filter, as Open-Unmix applies it after its network.

A mask model estimates each stem's magnitude bin by bin and channel by channel, and gives it
the mixture's phase. It never uses *where* a stem sits between the two channels. The
multichannel Wiener filter (Nugraha, Liutkus and Vincent, 2016) does: from the estimates it
fits, for every stem, a power spectrogram :math:`v_j(f, t)` and a 2×2 spatial covariance
:math:`R_j(f)` (how the stem is spread over left and right, per frequency), then gives each
stem its share of the mixture's stereo STFT,

.. math:: \\hat S_j(f, t) = v_j(f, t) R_j(f) \\Bigl(\\sum_k v_k(f, t) R_k(f)\\Bigr)^{-1} X(f, t),

and can repeat that (expectation-maximisation). The gains add up to the identity, so the
filtered stems still add up to the mixture. The work is done by ``norbert``, the library
Open-Unmix calls (``norbert.wiener``); this module only converts seplib's shapes to its own.

Taught in: 05_unet
"""
from __future__ import annotations

import numpy as np
import torch

from .spectral import istft, stft


def wiener_postfilter(estimates, mixture, n_fft=4096, hop=1024, iterations=1, softmask=False):
    """Refine separated stems with the multichannel Wiener filter (``norbert.wiener``).

    As Open-Unmix does after its network: the estimates' STFT magnitudes are the sources'
    spectrograms :math:`v`, the mixture's STFT is filtered, and each result is turned back
    into a waveform.

    Args:
        estimates (dict): ``{stem: (channels, samples)}`` float, e.g. what
            :func:`seplib.separate` returns for a mask model
        mixture (np.ndarray): ``(channels, samples)``, the mixture they were separated from
        n_fft (int): STFT frame length (use the model's own, ``model.hparams["n_fft"]``)
        hop (int): STFT hop
        iterations (int): expectation-maximisation rounds (Open-Unmix's default, 1; 0 keeps
            the estimates' magnitudes with the mixture's phase)
        softmask (bool): start from ratio masks of the magnitudes rather than from the
            magnitudes with the mixture's phase (norbert's ``use_softmask``)

    Returns:
        filtered (dict): ``{stem: (channels, samples)}`` float32, as long as the mixture

    Raises:
        ValueError: no estimates, or an estimate whose shape is not the mixture's

    Taught in: 05_unet
    """
    import norbert

    mixture = np.asarray(mixture, dtype=np.float32)
    if not estimates:
        raise ValueError("wiener_postfilter: no estimates given")
    for stem, est in estimates.items():
        if np.shape(est) != mixture.shape:
            raise ValueError(f"wiener_postfilter: estimate {stem!r} has shape {np.shape(est)}, "
                             f"the mixture {mixture.shape}")
    if mixture.ndim != 2:
        raise ValueError(f"wiener_postfilter: the mixture must be (channels, samples), got {mixture.shape}")
    stems = list(estimates)
    X = stft(mixture, n_fft, hop).numpy()                              # (channels, freqs, frames)
    V = np.stack([stft(np.asarray(estimates[s], dtype=np.float32), n_fft, hop).abs().numpy()
                  for s in stems], axis=-1)                             # (channels, freqs, frames, stems)
    # norbert's layout: (frames, freqs, channels[, stems]); computed in double precision
    Y = norbert.wiener(V.transpose(2, 1, 0, 3).astype(np.float64), X.transpose(2, 1, 0).astype(np.complex128),
                       iterations=iterations, use_softmask=softmask)  # (frames, freqs, channels, stems)
    Y = torch.from_numpy(np.ascontiguousarray(Y.transpose(3, 2, 1, 0)).astype(np.complex64))  # (stems, ch, f, t)
    waves = istft(Y, mixture.shape[-1], n_fft, hop).numpy()
    return {s: waves[j] for j, s in enumerate(stems)}
