r"""Long songs in pieces: memory bounded by a block, not by the song.

Two ways to cut a song, both used by the separation methods:

* in overlapping blocks of samples, cross-faded back together (:func:`separate_chunked`,
  :func:`separate_in_blocks`): for any separator, e.g. HPSS on a long song or a network
  over a whole track;
* in blocks of STFT frames (:func:`frame_blocks`, :func:`separate_in_frame_blocks`): for
  methods whose mask in a frame depends on that frame alone (the oracles), exact to float rounding.

Taught in: 02_hpss
"""
from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from .spectral import HOP, N_FFT
from .stems import STEMS


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


def separate_streaming(fn, read, length, chunk, overlap, write, progress=False):
    """:func:`separate_chunked` for a song that is never held whole: read a chunk, separate it,
    write what is finished.

    The chunks, their cross-fade and the result are those of :func:`separate_chunked` (to float
    rounding), but the mixture comes in a chunk at a time from ``read`` and the estimates go out
    in order to ``write``, so memory holds one chunk and its stems, whatever the song's length.
    A sample is finished once every chunk that covers it has been added: after each chunk,
    ``write`` gets each stem's samples up to where the next chunk starts (after the last, the rest).

    Args:
        fn (callable): ``fn(chunk (channels, chunk)) -> {stem: (channels, chunk)}``; its arrays are
            weighted in place
        read (callable): ``read(start, stop) -> (channels, stop - start)``, samples of the mixture
        length (int): samples in the song
        chunk (int): chunk length in samples; overlap (int): samples shared by neighbours (``< chunk / 2``)
        write (callable): ``write(stem, samples (channels, n))``, called with consecutive pieces of
            each stem, from sample 0 to ``length``
        progress (bool): show a tqdm bar

    Taught in: 02_hpss
    """
    if not 0 <= 2 * overlap < chunk:
        raise ValueError(f"need 0 <= 2 * overlap < chunk, got chunk={chunk}, overlap={overlap}")
    step = chunk - overlap
    starts = list(range(0, max(length - overlap, 1), step))
    window = crossfade_window(chunk, overlap)
    held, weight = {}, np.zeros(0, dtype=np.float32)  # what the last chunk left unfinished, and its weight
    for k, start in enumerate(tqdm(starts, desc="segments", disable=not progress, leave=False)):
        piece = np.asarray(read(start, min(start + chunk, length)), dtype=np.float32)
        n = piece.shape[1]
        if n < chunk:  # zero-pad the last chunk, keep only its real part
            piece = np.pad(piece, ((0, 0), (0, chunk - n)))
        w = window[:n]
        weight = np.concatenate([weight, np.zeros(n - len(weight), np.float32)]) + w
        done = n if k == len(starts) - 1 else step  # finished: up to where the next chunk starts
        scale = 1.0 / np.maximum(weight[:done], 1e-8)
        estimates = fn(piece)
        del piece
        for stem in list(estimates):
            x = np.asarray(estimates.pop(stem), dtype=np.float32)[:, :n]
            x *= w  # in place: one chunk's stems held, no copies
            if stem in held:
                x[:, :held[stem].shape[1]] += held.pop(stem)
            x[:, :done] *= scale
            write(stem, x[:, :done])
            held[stem] = x[:, done:].copy()  # the overlap only: the chunk's array goes
            del x
        weight = weight[done:]


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


STREAM_VALUES = 10 * 60 * 44100 * 2
"""The most samples (over all channels) ``seplib separate`` separates whole with a classical
method: ten minutes of 44.1 kHz stereo.  A longer song, or as long a song at a higher rate, is
separated in segments of :data:`SEGMENT_VALUES` cross-faded over :data:`STREAM_OVERLAP_SECONDS`
(:func:`separate_streaming`), read from its file and written to the stems' files as it goes, so
memory stays bounded whatever its length and rate.  A method whose result depends on the whole
song (NMF, REPET) then sees one segment at a time.  A network separates in chunks of a few seconds
anyway, so segments change nothing for it but memory: it streams any song over one segment."""

SEGMENT_VALUES = STREAM_VALUES // 2
"""Samples (over all channels) in one segment of a streamed song: five minutes of 44.1 kHz stereo,
2.3 minutes of 96 kHz stereo (see :data:`STREAM_VALUES`)."""

STREAM_OVERLAP_SECONDS = 10.0
"""Seconds shared by neighbouring segments of a streamed song (see :data:`STREAM_VALUES`)."""


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
