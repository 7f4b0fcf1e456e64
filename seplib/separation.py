"""One call shape for every method: ``separate(method, mixture, rate) -> {stem: (channels, samples)}``.

:func:`separate` looks the method up in the registry (:mod:`seplib.methods`), checks what goes
in and what comes out, and calls the method's plain function. The leaderboard, the command
line and the listening room all separate through it, so they treat every method alike.
This module also holds the floor (``mixture``) and the oracles (``oracle-ibm``, ``oracle-irm``,
``oracle-wiener``), registered here, what an estimated stem is compared with
(:func:`reference_of`, :func:`accompaniment`), and :func:`separate_chunked`, which applies any
separator to a long track in overlapping pieces.

(The module is ``seplib.separation``; ``from seplib import separate`` gives the function.)

Taught in: 01_stft_and_masks
"""
from __future__ import annotations

import inspect

import numpy as np

from .stems import STEMS, accompaniment  # noqa: F401  (accompaniment: defined with the stems)
from . import methods
from .spectral import HOP, N_FFT, oracle


def separate(method, mixture, rate, run=None, **kwargs):
    """Separate a mixture into stems with any registered method.

    Args:
        method (str): a registered name (``seplib methods`` lists them), e.g. ``"hpss"``,
            ``"oracle-irm"``, ``"unet"``, or one you registered with :func:`seplib.methods.register`
        mixture (np.ndarray): ``(channels, samples)``
        rate (int): sample rate in Hz
        run (seplib.run.Run): the run context, passed on to a method whose function has a
            ``run`` parameter (a trained model finds its checkpoint by it); others ignore it
        **kwargs: passed to the method (``references={stem: array}`` or a musdb track for the
            oracles: a MUSDB18-HQ track's stems are then read a block at a time,
            ``checkpoint=PATH`` for the trained models, a method's own parameters)

    Returns:
        estimates (dict): ``{stem: (channels, samples)}`` float32, each as long as the mixture;
        a method may give fewer than four stems (e.g. ``vocals`` and ``accompaniment``)

    Raises:
        ValueError: an unknown method, a bad mixture, an oracle without ``references``, or a
            ``checkpoint`` for a method that takes none

    Taught in: 01_stft_and_masks
    """
    record = methods.get(method)
    mixture = np.asarray(mixture, dtype=np.float32)
    if mixture.ndim != 2 or mixture.shape[0] > 8:
        raise ValueError(f"mixture must be (channels, samples), got shape {mixture.shape}")
    if not np.all(np.isfinite(mixture)):
        raise ValueError("mixture holds NaN or inf samples")
    if record.needs_references and kwargs.get("references") is None:
        raise ValueError(f"{method} needs the true stems: separate(..., references={{stem: array}})")
    if kwargs.get("checkpoint") is not None and not record.takes_checkpoint:
        raise ValueError(f"{method} takes no checkpoint (a {record.family} method); "
                         f"methods that do: {', '.join(m.name for m in methods.records() if m.takes_checkpoint)}")
    if run is not None and _has_parameter(record.fn, "run"):
        kwargs["run"] = run
    estimates = record.fn(mixture, rate, **kwargs)
    out = {}
    for stem, est in estimates.items():
        est = np.asarray(est, dtype=np.float32)
        if est.shape != mixture.shape:
            raise RuntimeError(f"method {method!r} returned {stem} with shape {est.shape}, "
                               f"expected the mixture's {mixture.shape}")
        out[stem] = est
    return out


def _has_parameter(fn, name):
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # a builtin without a signature
        return False


# --------------------------------------------------------------------------------------------
# What an estimate is compared with
# --------------------------------------------------------------------------------------------
def reference_of(stem, references):
    """The reference an estimated ``stem`` is scored against and listened beside.

    Args:
        stem (str): a stem a method gave, e.g. ``"drums"`` or ``"accompaniment"``
        references (dict): ``{stem: (channels, samples)}``, the true stems

    Returns:
        reference (np.ndarray): the true stem, or for ``accompaniment`` :func:`accompaniment`

    Raises:
        ValueError: no reference for that stem

    Taught in: 03_repet_sim
    """
    if stem in references:
        return np.asarray(references[stem])
    if stem == "accompaniment":
        return accompaniment(references)
    raise ValueError(f"no reference for estimate {stem!r}; references have {sorted(references)}"
                     " (an 'accompaniment' estimate is compared with the sum of all but vocals)")


# --------------------------------------------------------------------------------------------
# The floor and the ceilings
# --------------------------------------------------------------------------------------------
@methods.register("mixture", family="floor", notebook="01_stft_and_masks",
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
            kwargs.get("n_fft", N_FFT), kwargs.get("hop", HOP), block_frames=BLOCK_FRAMES // 4)

    fn.__name__ = f"oracle_{kind}"
    fn.__doc__ = (f"Oracle {kind.upper()} separation: ideal {kind} masks from ``references`` applied to "
                  "``mixture`` (an upper bound; see :func:`seplib.spectral.oracle`).\n\n"
                  "    Taught in: 01_stft_and_masks\n")
    return methods.register(f"oracle-{kind}", fn, family="oracle", needs_references=True,
                            notebook="01_stft_and_masks", description=description)


oracle_ibm = _oracle("ibm", "ideal binary masks from the true stems (a bound)")
oracle_irm = _oracle("irm", "ideal ratio masks from the true stems (a bound)")
oracle_wiener = _oracle("wiener", "ideal Wiener masks from the true stems (a bound)")


# --------------------------------------------------------------------------------------------
# Long tracks in pieces
# --------------------------------------------------------------------------------------------
def crossfade_window(chunk, overlap):
    """Weights for overlap-add: ones, with linear ramps of ``overlap`` samples at both ends."""
    w = np.ones(chunk, dtype=np.float32)
    if overlap > 0:
        ramp = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
        w[:overlap], w[-overlap:] = ramp, ramp[::-1]
    return w


def separate_chunked(fn, mixture, chunk, overlap, progress=False):
    """Apply a separator to a long signal in overlapping chunks and cross-fade them together.

    Memory stays bounded whatever the track length; with enough ``overlap`` for the
    separator's context, the result does not depend on ``chunk``.

    Args:
        fn (callable): ``fn(chunk (channels, chunk)) -> {stem: (channels, chunk)}``
        mixture (np.ndarray): ``(channels, samples)``
        chunk (int): chunk length in samples
        overlap (int): samples shared by neighbouring chunks (``< chunk / 2``)
        progress (bool): show a tqdm bar

    Returns:
        estimates (dict): ``{stem: (channels, samples)}`` float32

    Taught in: 05_unet
    """
    from tqdm.auto import tqdm

    channels, length = mixture.shape
    if not 0 <= 2 * overlap < chunk:
        raise ValueError(f"need 0 <= 2 * overlap < chunk, got chunk={chunk}, overlap={overlap}")
    step = chunk - overlap
    starts = list(range(0, max(length - overlap, 1), step))
    window = crossfade_window(chunk, overlap)
    out, weight = {}, np.zeros(length, dtype=np.float32)
    for start in tqdm(starts, desc="chunks", disable=not progress, leave=False):
        piece = mixture[:, start:start + chunk]
        n = piece.shape[1]
        if n < chunk:  # zero-pad the last chunk, keep only its real part
            piece = np.pad(piece, ((0, 0), (0, chunk - n)))
        w = window[:n]  # always > 0, so dividing by the summed weights below is safe
        for stem, est in fn(piece).items():
            if stem not in out:  # (not setdefault: that would make a song-sized array each chunk)
                out[stem] = np.zeros((channels, length), dtype=np.float32)
            out[stem][:, start:start + n] += np.asarray(est)[:, :n] * w
        weight[start:start + n] += w
    np.maximum(weight, 1e-8, out=weight)
    for e in out.values():
        e /= weight  # in place: no second copy of the stems
    return out


def separate_in_blocks(fn, mixture, rate, block_seconds, overlap_seconds, **kwargs):
    """Run a method on a long song in blocks with overlap: memory bounded by the block, not the song.

    A song no longer than one block is separated whole. Otherwise :func:`separate_chunked`
    cross-fades the blocks; with ``overlap_seconds`` longer than the method's context (HPSS:
    its median filter and one STFT frame) the result matches the whole-song result closely
    (``tests/test_long_songs.py`` checks 0.05 dB SDR), and the time grows linearly with length.
    The weights are the same for every stem, so estimates that sum to the mixture still do.

    Args:
        fn (callable): ``fn(mixture, rate, **kwargs) -> {stem: (channels, samples)}``
        mixture (np.ndarray): ``(channels, samples)``
        rate (int): sample rate in Hz
        block_seconds (float or None): block length; ``None`` separates the song whole
        overlap_seconds (float): shared by neighbouring blocks (``< block_seconds / 2``)
        **kwargs: passed to ``fn``

    Returns:
        estimates (dict): ``{stem: (channels, samples)}`` float32

    Taught in: 02_hpss
    """
    mixture = np.asarray(mixture, dtype=np.float32)
    if block_seconds is None or mixture.shape[-1] <= int(round(block_seconds * rate)):
        return fn(mixture, rate, **kwargs)
    chunk, overlap = int(round(block_seconds * rate)), int(round(overlap_seconds * rate))
    return separate_chunked(lambda piece: fn(piece, rate, **kwargs), mixture, chunk, overlap)


BLOCK_FRAMES = 1024
"""STFT frames per block when a long song's spectrogram is worked on a block at a time
(:func:`frame_blocks`): 1024 frames of 2049 bins are 17 MB of float32, 24 s at 44.1 kHz."""


def frame_blocks(length, n_fft=N_FFT, hop=HOP, block_frames=None):
    """Cut a signal's STFT frames into blocks that can be computed and inverted exactly, one at a time.

    Frame :math:`t` of the STFT (centred, as :func:`seplib.spectral.stft`) sees the samples
    :math:`tH - N/2 \dots tH + N/2`, and output sample :math:`n` of the inverse STFT comes from
    the frames within :math:`N/2` of it. So the STFT of a stretch of signal reaching ``n_fft``
    samples (rounded up to whole hops) beyond a block on each side holds the song's own frames
    for everything the block's samples need: the STFT of that ``chunk``, masked and inverted,
    gives the block's ``samples`` exactly as the whole-song STFT would (to float rounding).

    Args:
        length (int): samples in the signal
        n_fft (int), hop (int): STFT frame length and hop
        block_frames (int): frames per block (default :data:`BLOCK_FRAMES`)

    Returns:
        blocks (list of tuple): ``(frames, samples, chunk)`` slices: the song's frames the block
        is in charge of, the output samples it gives, and the stretch of signal to transform
        (it starts on a frame: its STFT frame ``j`` is the song's frame ``chunk.start // hop + j``)

    Taught in: 02_hpss
    """
    block_frames = int(block_frames or BLOCK_FRAMES)
    margin = -(-n_fft // hop)  # whole hops covering one frame length
    frames = 1 + length // hop
    blocks = []
    for a in range(0, frames, block_frames):
        b = min(a + block_frames, frames)
        samples = slice(a * hop, length if b == frames else b * hop)
        chunk = slice(max(0, a - margin) * hop, min(length, (b + margin) * hop))
        blocks.append((slice(a, b), samples, chunk))
    return blocks


def separate_in_frame_blocks(fn, mixture, references, n_fft=N_FFT, hop=HOP, block_frames=None):
    """Run a frame-local masking method on a long song a block at a time: the same result, bounded memory.

    For methods whose mask in a frame depends on that frame alone (the oracles):
    :func:`frame_blocks` gives each block a stretch of signal whose STFT holds the song's own
    frames, so the blocks join into the whole-song result (to float rounding), and only one
    block's spectrograms are held at a time.

    Args:
        fn (callable): ``fn(mixture_piece, references_piece) -> {stem: (channels, piece)}``
        mixture (np.ndarray): ``(channels, samples)``
        references (dict or SongsOnDisk): ``{stem: (channels, samples)}``, cut like the
            mixture; or one song of :data:`seplib.STEMS` left on disk
            (:class:`seplib.data.chunks.SongsOnDisk`), of which each block reads its own samples
        n_fft (int), hop (int): the method's STFT frame length and hop
        block_frames (int): frames per block (default :data:`BLOCK_FRAMES`)

    Returns:
        estimates (dict): ``{stem: (channels, samples)}`` float32

    Taught in: 01_stft_and_masks
    """
    mixture = np.asarray(mixture, dtype=np.float32)
    out = {}
    for _, samples, chunk in frame_blocks(mixture.shape[-1], n_fft, hop, block_frames):
        keep = slice(samples.start - chunk.start, samples.stop - chunk.start)
        if isinstance(references, dict):
            pieces = {stem: np.asarray(r)[..., chunk] for stem, r in references.items()}
        else:  # on disk: read this block's samples, and only them
            pieces = {stem: references.cut(0, j, chunk.start, chunk.stop - chunk.start)
                      for j, stem in enumerate(STEMS)}
        for stem, est in fn(mixture[:, chunk], pieces).items():
            if stem not in out:
                out[stem] = np.empty(mixture.shape, dtype=np.float32)
            out[stem][:, samples] = np.asarray(est)[..., keep]
    return out
