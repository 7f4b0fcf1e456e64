r"""A small Demucs (Défossez et al., 2019): a waveform U-Net with GLUs and a BiLSTM.

Each encoder level is a strided convolution (kernel 8, stride 4) with ReLU, then a 1x1
convolution with a gated linear unit :math:`\mathrm{GLU}(a, b) = a \odot \sigma(b)`.  A
two-layer BiLSTM models the long range at the bottleneck; the decoder mirrors the encoder
with transposed convolutions, adding each encoder level's output as a skip connection.
No masks: the network writes the stems' waveforms directly, phase included.

Taught in: 06_demucs_lite
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .. import STEMS

EPS = 1e-5


def mixture_std(mixture):
    """The scale Demucs normalises by: the standard deviation of the mono mixture.

    Args:
        mixture (torch.Tensor): ``(batch, channels, samples)``

    Returns:
        std (torch.Tensor): ``(batch, 1, 1)``

    Taught in: 06_demucs_lite
    """
    return mixture.mean(dim=1, keepdim=True).std(dim=-1, keepdim=True, correction=0)


def waveform_scale(mixture, std=None):
    """The divisor for input normalisation: ``std`` (default: :func:`mixture_std`) plus epsilon.

    Args:
        mixture (torch.Tensor): ``(batch, channels, samples)``
        std (float or torch.Tensor): a given scale, e.g. the whole track's (default: the mixture's)

    Returns:
        scale (torch.Tensor): ``(batch, 1, 1)``, never zero

    Taught in: 06_demucs_lite
    """
    if std is None:
        return mixture_std(mixture) + EPS
    return torch.as_tensor(std, dtype=mixture.dtype, device=mixture.device).reshape(-1, 1, 1) + EPS


class DemucsLite(nn.Module):
    """Waveform encoder/decoder with GLUs, a BiLSTM bottleneck and skip connections.

    Args:
        stems (tuple): stem names it outputs
        audio_channels (int): 2 for stereo
        depth (int): encoder (and decoder) levels; each divides the time resolution by ``stride``
        channels (int): channels of the first level, multiplied by ``growth`` at each level
        growth (int): channel growth per level
        kernel_size (int): conv kernel (samples)
        stride (int): conv stride (samples)
        lstm_layers (int): BiLSTM layers at the bottleneck

    Taught in: 06_demucs_lite
    """

    name = "demucs-lite"

    def __init__(self, stems=STEMS, audio_channels=2, depth=4, channels=16, growth=2, kernel_size=8,
                 stride=4, lstm_layers=2):
        super().__init__()
        self.stems = tuple(stems)
        self.audio_channels, self.depth, self.kernel_size, self.stride = audio_channels, depth, kernel_size, stride
        self.hparams = dict(stems=self.stems, audio_channels=audio_channels, depth=depth, channels=channels,
                            growth=growth, kernel_size=kernel_size, stride=stride, lstm_layers=lstm_layers)
        widths = [audio_channels] + [channels * growth ** i for i in range(depth)]
        self.encoder = nn.ModuleList(
            nn.Sequential(nn.Conv1d(widths[i], widths[i + 1], kernel_size, stride), nn.ReLU(),
                          nn.Conv1d(widths[i + 1], 2 * widths[i + 1], 1), nn.GLU(dim=1))
            for i in range(depth))
        bottleneck = widths[-1]
        self.lstm = nn.LSTM(bottleneck, bottleneck, num_layers=lstm_layers, batch_first=True, bidirectional=True)
        self.lstm_proj = nn.Linear(2 * bottleneck, bottleneck)
        self.decoder = nn.ModuleList()
        for i in reversed(range(depth)):  # from the bottleneck up; the last level outputs every stem
            c_out = widths[i] if i > 0 else len(self.stems) * audio_channels
            layers = [nn.Conv1d(widths[i + 1], 2 * widths[i + 1], 1), nn.GLU(dim=1),
                      nn.ConvTranspose1d(widths[i + 1], c_out, kernel_size, stride)]
            self.decoder.append(nn.Sequential(*layers, nn.ReLU()) if i > 0 else nn.Sequential(*layers))

    @property
    def chunk_multiple(self):
        """Shifting the input by a multiple of this many samples shifts the output alike."""
        return self.stride ** self.depth

    def valid_length(self, length):
        """The smallest length >= ``length`` that every conv level divides exactly.

        Args:
            length (int): samples

        Returns:
            length (int): samples after padding

        Taught in: 06_demucs_lite
        """
        for _ in range(self.depth):
            length = max(math.ceil((length - self.kernel_size) / self.stride) + 1, 1)
        for _ in range(self.depth):
            length = (length - 1) * self.stride + self.kernel_size
        return length

    def forward(self, mixture, std=None):
        """Separate in the waveform domain.

        Args:
            mixture (torch.Tensor): ``(batch, channels, samples)``
            std (float or torch.Tensor): the scale to normalise by (default: this mixture's
                :func:`mixture_std`; pass the whole track's when separating it in chunks)

        Returns:
            estimates (torch.Tensor): ``(batch, stems, channels, samples)``

        Taught in: 06_demucs_lite
        """
        batch, channels, length = mixture.shape
        # normalise by the mixture's scale (undone at the end), pad to a valid length
        scale = waveform_scale(mixture, std)
        x = F.pad(mixture / scale, (0, self.valid_length(length) - length))
        # encode: each level divides the time resolution by `stride`; keep outputs for skips
        skips = []
        for block in self.encoder:
            x = block(x)                                          # (batch, channels * growth**i, time / stride**(i+1))
            skips.append(x)
        # BiLSTM over the bottleneck's time steps
        y = self.lstm(x.transpose(1, 2))[0]                       # (batch, time, 2 * bottleneck)
        x = self.lstm_proj(y).transpose(1, 2)                     # (batch, bottleneck, time)
        # decode: add the skip of the same level, then upsample
        for block in self.decoder:
            x = block(x + skips.pop())
        # crop the padding, split the stems, undo the normalisation
        x = x[..., :length].reshape(batch, len(self.stems), channels, length)
        return x * scale[:, None]
