"""The simplest learned separator: four 1-D convolutions on the waveform.

A strided convolution (a learned filterbank), two convolutions at that resolution, and a
transposed convolution back to samples, one output per stem and channel.  No skip
connections, no recurrence: its receptive field is a few milliseconds and everything it
knows must pass through one narrow bottleneck.  It is the baseline that shows why the
U-Net's skips and the LSTMs of Demucs and DPRNN exist.

Taught in: 07_dprnn
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from .. import STEMS
from .demucs_lite import waveform_scale


class Conv1dBaseline(nn.Module):
    """Four Conv1d layers from mixture waveform to stem waveforms.

    Args:
        stems (tuple): stem names it outputs
        audio_channels (int): 2 for stereo
        channels (int): channels of the hidden layers
        kernel_size (int): kernel of the first and last (strided) layers, ``>= stride``
        stride (int): time downsampling of the hidden layers
        inner_kernel (int): kernel of the two hidden layers (odd)

    Taught in: 07_dprnn
    """

    name = "conv1d"

    def __init__(self, stems=STEMS, audio_channels=2, channels=48, kernel_size=32, stride=16, inner_kernel=5):
        super().__init__()
        if kernel_size < stride or (kernel_size - stride) % 2:
            raise ValueError(f"need kernel_size >= stride and kernel_size - stride even, "
                             f"got kernel_size={kernel_size}, stride={stride}")
        if inner_kernel % 2 == 0:
            raise ValueError(f"inner_kernel must be odd, got {inner_kernel}")
        self.stems = tuple(stems)
        self.audio_channels, self.stride = audio_channels, stride
        self.hparams = dict(stems=self.stems, audio_channels=audio_channels, channels=channels,
                            kernel_size=kernel_size, stride=stride, inner_kernel=inner_kernel)
        pad = (kernel_size - stride) // 2  # so that length / stride frames come out, and back
        self.layers = nn.Sequential(
            nn.Conv1d(audio_channels, channels, kernel_size, stride, padding=pad), nn.ReLU(),
            nn.Conv1d(channels, channels, inner_kernel, padding=inner_kernel // 2), nn.ReLU(),
            nn.Conv1d(channels, channels, inner_kernel, padding=inner_kernel // 2), nn.ReLU(),
            nn.ConvTranspose1d(channels, len(self.stems) * audio_channels, kernel_size, stride, padding=pad))

    @property
    def chunk_multiple(self):
        """Shifting the input by a multiple of this many samples shifts the output alike."""
        return self.stride

    def forward(self, mixture, std=None):
        """Separate in the waveform domain.

        Args:
            mixture (torch.Tensor): ``(batch, channels, samples)``
            std (float or torch.Tensor): the scale to normalise by (default: this mixture's;
                pass the whole track's when separating it in chunks)

        Returns:
            estimates (torch.Tensor): ``(batch, stems, channels, samples)``

        Taught in: 07_dprnn
        """
        batch, channels, length = mixture.shape
        # normalise by the mixture's scale, pad to a multiple of the stride
        scale = waveform_scale(mixture, std)
        x = F.pad(mixture / scale, (0, -length % self.stride))
        # four convolutions: down to frames, two at frame rate, up to samples
        x = self.layers(x)                                        # (batch, stems * channels, padded samples)
        # crop, split the stems, undo the normalisation
        x = x[..., :length].reshape(batch, len(self.stems), channels, length)
        return x * scale[:, None]
