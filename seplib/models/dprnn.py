r"""Dual-path RNN (Luo et al., 2020) on stereo log-magnitude spectrograms.

A long sequence of frames is cut into overlapping chunks of ``chunk_frames``.  Each block
runs a BiLSTM *within* every chunk (local structure: onsets, harmonics over a few frames)
and then a BiLSTM *across* chunks at every position (long-range structure: the song's
repeats), each with a residual connection and layer norm.  Overlap-add turns the chunks
back into frames and a 1x1 conv head gives one mask per stem, as in the U-Net.

The spectrogram front end, the gate and ``forward`` are those of every masking model
(:class:`seplib.models.base.MaskingModel`); this file holds the dual path itself
(:meth:`DPRNN.mask_logits`), its sizes, and its registration.

Taught in: 07_dprnn
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from ..stems import STEMS
from .base import MaskingModel
from .registry import register_model

HPARAMS = {
    "quick": dict(n_fft=1024, hop=512, max_bin=128, features=32, hidden=32, chunk_frames=16, blocks=1,
                  gate="softmax"),
    "lab": dict(n_fft=1024, hop=512, max_bin=256, features=64, hidden=64, chunk_frames=16, blocks=2,
                gate="softmax"),
    "full": dict(n_fft=2048, hop=512, max_bin=512, features=128, hidden=128, chunk_frames=48, blocks=4,
                 gate="softmax"),
}
"""Hyper-parameters of each run size (``lab``: also the class's defaults)."""


def split_chunks(x, size):
    """Cut a sequence into chunks of ``size`` frames that overlap by half.

    The sequence is zero-padded by ``size // 2`` at the front and to a whole number of
    half-chunks at the back, so every frame lies in exactly two chunks.

    Args:
        x (torch.Tensor): ``(batch, frames, features)``
        size (int): chunk length in frames (even)

    Returns:
        chunks (torch.Tensor): ``(batch, chunks, size, features)``

    Taught in: 07_dprnn
    """
    half = size // 2
    frames = x.shape[1]
    x = F.pad(x, (0, 0, half, half + (-frames % half)))    # (batch, half + frames + pad + half, features)
    return x.unfold(1, size, half).transpose(2, 3)         # (batch, chunks, size, features)


def overlap_add(chunks, frames):
    """Inverse of :func:`split_chunks`: add the overlapping halves back into one sequence.

    Args:
        chunks (torch.Tensor): ``(batch, chunks, size, features)``
        frames (int): the original sequence length

    Returns:
        x (torch.Tensor): ``(batch, frames, features)``

    Taught in: 07_dprnn
    """
    batch, n, size, features = chunks.shape
    half = size // 2
    first = chunks[:, :, :half].reshape(batch, n * half, features)   # chunk c's first half: frames c*half...
    second = chunks[:, :, half:].reshape(batch, n * half, features)  # ...its second half: one half later
    out = F.pad(first, (0, 0, 0, half)) + F.pad(second, (0, 0, half, 0))
    return out[:, half:half + frames]


class DualPathBlock(nn.Module):
    """Intra-chunk BiLSTM, then inter-chunk BiLSTM, each with a residual and layer norm.

    Taught in: 07_dprnn
    """

    def __init__(self, features, hidden):
        super().__init__()
        self.intra_rnn = nn.LSTM(features, hidden, batch_first=True, bidirectional=True)
        self.intra_proj = nn.Linear(2 * hidden, features)
        self.intra_norm = nn.LayerNorm(features)
        self.inter_rnn = nn.LSTM(features, hidden, batch_first=True, bidirectional=True)
        self.inter_proj = nn.Linear(2 * hidden, features)
        self.inter_norm = nn.LayerNorm(features)

    def forward(self, x):
        """``(batch, chunks, size, features)`` -> same shape."""
        batch, n, size, features = x.shape
        # intra-chunk: every chunk is a sequence of `size` frames
        y = self.intra_rnn(x.reshape(batch * n, size, features))[0]
        x = x + self.intra_norm(self.intra_proj(y)).reshape(batch, n, size, features)
        # inter-chunk: every position within a chunk is a sequence of `n` chunks
        y = x.transpose(1, 2).reshape(batch * size, n, features)
        y = self.inter_rnn(y)[0]
        y = self.inter_norm(self.inter_proj(y)).reshape(batch, size, n, features).transpose(1, 2)
        return x + y


class DPRNN(MaskingModel):
    """Dual-path RNN mask estimator in the time-frequency domain.

    Args:
        stems (tuple): stem names it outputs
        audio_channels (int): 2 for stereo
        n_fft (int): STFT frame length (samples)
        hop (int): STFT hop (samples)
        max_bin (int): frequency bins modelled (the rest reuse the top bin's mask)
        features (int): size of each frame's feature vector
        hidden (int): LSTM units per direction
        chunk_frames (int): frames per chunk (even); chunks overlap by half
        blocks (int): dual-path blocks
        gate (str): ``"softmax"`` (masks sum to one) or ``"sigmoid"``

    Taught in: 07_dprnn
    """

    name = "dprnn"

    def __init__(self, stems=STEMS, audio_channels=2, n_fft=1024, hop=512, max_bin=256, features=64,
                 hidden=64, chunk_frames=16, blocks=2, gate="softmax"):
        super().__init__(stems, audio_channels, n_fft, hop, max_bin, gate)   # self.front: STFT and masking
        if chunk_frames < 2 or chunk_frames % 2:
            raise ValueError(f"chunk_frames must be even and >= 2, got {chunk_frames}")
        self.chunk_frames = chunk_frames
        self.hparams = dict(stems=self.stems, audio_channels=audio_channels, n_fft=n_fft, hop=hop,
                            max_bin=max_bin, features=features, hidden=hidden,
                            chunk_frames=chunk_frames, blocks=blocks, gate=gate)
        self.encode = nn.Linear(audio_channels * max_bin, features)
        self.blocks = nn.ModuleList(DualPathBlock(features, hidden) for _ in range(blocks))
        self.head = nn.Sequential(nn.PReLU(), nn.Conv1d(features, len(self.stems) * audio_channels * max_bin, 1))

    @property
    def chunk_multiple(self):
        """Shifting the input by a multiple of this many samples shifts the chunk grid alike."""
        return self.front.hop * self.chunk_frames // 2

    def mask_logits(self, x):
        """The dual path: standardised log-magnitudes in, one logit map per stem and channel out.

        Args:
            x (torch.Tensor): ``(batch, channels, bins, frames)`` from ``self.front.features``

        Returns:
            logits (torch.Tensor): ``(batch, stems, channels, bins, frames)``

        Taught in: 07_dprnn
        """
        batch, channels, bins, frames = x.shape
        # project each frame's stereo spectrum to a feature vector
        x = self.encode(x.reshape(batch, channels * bins, frames).transpose(1, 2))  # (batch, frames, features)
        # split into half-overlapping chunks and run the dual-path blocks
        x = split_chunks(x, self.chunk_frames)                  # (batch, chunks, chunk_frames, features)
        for block in self.blocks:
            x = block(x)
        # overlap-add back to one feature vector per frame
        x = overlap_add(x, frames)                              # (batch, frames, features)
        # mask head: logits per stem, channel and bin
        logits = self.head(x.transpose(1, 2))                   # (batch, stems * channels * bins, frames)
        return logits.reshape(batch, len(self.stems), channels, bins, frames)


register_model("dprnn", DPRNN, hparams=HPARAMS, chunking=(10.0, 2.0), loss="masked-magnitude",
               taught_in="07_dprnn", description="dual-path RNN on the magnitude spectrogram, one soft mask per stem",
               # its LSTMs see the whole chunk: the result depends a little on where chunks start
               checks={"chunk_agreement_db": 25.0, "overfit": {"hparams": {}, "lr": 1e-2, "steps": 60, "factor": 5.0}})
