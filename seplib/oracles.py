r"""The floor and the oracles: what every method is measured between.

* the floor, ``mixture``: the unprocessed mixture given as every stem's estimate;
* the oracles, ``oracle-ibm``, ``oracle-irm``, ``oracle-wiener``: ideal masks computed from the
  true stems (:mod:`seplib.spectral`), applied to the mixture (:func:`oracle`); what a
  mask-based method would reach if it knew the stems.

Both are registered as methods here (:func:`seplib.methods.register`), so
``separate("oracle-irm", mixture, rate, references=stems)`` runs like any other method.

Taught in: 01_stft_and_masks
"""
from __future__ import annotations

import numpy as np

from . import blocks, methods
from .blocks import separate_in_frame_blocks
from .masking import masks_to_waveforms
from .spectral import (HOP, MASKS, N_FFT, ideal_binary_mask, ideal_ratio_mask, magnitudes, stft,
                       wiener_mask)
from .stems import STEMS


def oracle(stems, kind="irm", mixture=None, n_fft=N_FFT, hop=HOP, device=None):
    """Oracle separation: masks computed from the true stems, applied to their mixture.

    What a mask of this kind would do if it knew the true stems: the reference every
    mask-based method (HPSS, REPET, NMF, the U-Net) is compared against. None of the three is
    the best mask: the phase-sensitive mask (:func:`seplib.spectral.phase_sensitive_mask`) is at least as
    good in every bin, and the ceiling is whichever oracle scores best (01_stft_and_masks).

    Args:
        stems (dict): ``{stem: (channels, samples)}`` true sources (a musdb track's:
            :func:`seplib.data.track_stems`)
        kind (str): ``"ibm"``, ``"irm"`` or ``"wiener"``
        mixture (np.ndarray): ``(channels, samples)`` the signal to mask (default: the sum of
            the stems)
        n_fft (int): frame length
        hop (int): hop size

    Returns:
        estimates (dict): ``{stem: (channels, samples)}`` float32

    Taught in: 01_stft_and_masks
    """
    if kind not in MASKS:
        raise ValueError(f"unknown mask kind {kind!r}; choose one of {MASKS}")
    if not isinstance(stems, dict):
        raise TypeError(f"stems must be {{stem: (channels, samples)}}, got {type(stems).__name__} "
                        "(a musdb track's are seplib.data.track_stems(track))")
    lengths = {s.shape[-1] for s in stems.values()}
    if len(lengths) != 1:
        raise ValueError(f"stems differ in length: { {n: s.shape for n, s in stems.items()} }")
    mags = magnitudes(stems, n_fft, hop, device)
    if mixture is None:
        mixture = sum(np.asarray(s, dtype=np.float32) for s in stems.values())
    X = stft(mixture, n_fft, hop, device)
    masks = {"ibm": ideal_binary_mask, "irm": ideal_ratio_mask, "wiener": wiener_mask}[kind](mags)
    return masks_to_waveforms(X, masks, lengths.pop(), n_fft=n_fft, hop=hop)


@methods.register("mixture", family="floor", taught_in="01_stft_and_masks",
                  description="the unprocessed mixture as every stem's estimate")
def mixture_as_estimate(mixture, rate, stems=STEMS):
    """The floor: the unprocessed mixture given as the estimate of every stem.

    Returns:
        estimates (dict): ``{stem: mixture}`` for each stem

    Taught in: 01_stft_and_masks
    """
    return {s: mixture.copy() for s in stems}


def _oracle(kind, description):
    def fn(mixture, rate, references=None, **kwargs):
        if references is None:
            raise ValueError(f"oracle-{kind} needs the true stems: separate(..., references={{stem: array}})")
        if not isinstance(references, dict):  # stems on disk (seplib.data.references_of(track))
            if not hasattr(references, "frames"):
                raise TypeError(f"oracle-{kind}: references must be {{stem: array}} or the stems on disk, "
                                f"got {type(references).__name__}: pass seplib.data.references_of(track)")
            if references.frames(0) != np.shape(mixture)[-1]:
                raise ValueError(f"track {getattr(references, 'name', '?')!r}: its stems hold {references.frames(0)} "
                                 f"samples, the mixture {np.shape(mixture)[-1]}")
            # WAV files: each block reads its own samples of the true stems
        # a frame's oracle mask depends on that frame alone: exact in blocks (long songs); small
        # blocks, as every stem's spectrogram is made for each
        return separate_in_frame_blocks(
            lambda piece, refs: oracle(refs, kind, mixture=piece, **kwargs), mixture, references,
            kwargs.get("n_fft", N_FFT), kwargs.get("hop", HOP), block_frames=blocks.BLOCK_FRAMES // 4)

    fn.__name__ = f"oracle_{kind}"
    fn.__doc__ = (f"Oracle {kind.upper()} separation: ideal {kind} masks from ``references`` applied to "
                  "``mixture`` (an upper bound; see :func:`seplib.oracles.oracle`).\n\n"
                  "    Taught in: 01_stft_and_masks\n")
    return methods.register(f"oracle-{kind}", fn, family="oracle", needs_references=True,
                            taught_in="01_stft_and_masks", description=description)


oracle_ibm = _oracle("ibm", "ideal binary masks from the true stems (a bound)")
oracle_irm = _oracle("irm", "ideal ratio masks from the true stems (a bound)")
oracle_wiener = _oracle("wiener", "ideal Wiener masks from the true stems (a bound)")
