"""The simplest learned separator: four 1-D convolutions on the waveform.

A strided convolution (a learned filterbank), two convolutions at that resolution, and a
transposed convolution back to samples, one output per stem and channel.  No skip
connections, no recurrence: its receptive field is a few milliseconds and everything it
knows must pass through one narrow bottleneck.  It is the baseline that shows why the
U-Net's skips and the LSTMs of Demucs and DPRNN exist.

Normalising, padding, cropping and splitting the stems are those of every waveform model
(:class:`seplib.models.base.WaveformModel`); this file holds the four layers.

Taught in: 07_dprnn
"""
from __future__ import annotations

from torch import nn

from ..stems import STEMS
from .base import WaveformModel
from .registry import register_model

HPARAMS = {
    "quick": dict(channels=16, kernel_size=32, stride=16, inner_kernel=5),
    "lab": dict(channels=48, kernel_size=32, stride=16, inner_kernel=5),
    "full": dict(channels=64, kernel_size=32, stride=16, inner_kernel=5),
}
"""Hyper-parameters of each run size (``lab``: also the class's defaults)."""


class Conv1dBaseline(WaveformModel):
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
        super().__init__(stems, audio_channels)
        if kernel_size < stride or (kernel_size - stride) % 2:
            raise ValueError(f"need kernel_size >= stride and kernel_size - stride even, "
                             f"got kernel_size={kernel_size}, stride={stride}")
        if inner_kernel % 2 == 0:
            raise ValueError(f"inner_kernel must be odd, got {inner_kernel}")
        self.stride = stride
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

    def padded_length(self, length):
        """A multiple of the stride."""
        return length + (-length % self.stride)

    def stem_waveforms(self, x):
        """Four convolutions: down to frames, two at frame rate, up to samples.

        Args:
            x (torch.Tensor): normalised mixture ``(batch, channels, padded samples)``

        Returns:
            x (torch.Tensor): ``(batch, stems * channels, padded samples)``

        Taught in: 07_dprnn
        """
        return self.layers(x)


register_model("conv1d", Conv1dBaseline, hparams=HPARAMS, chunking=(10.0, 0.5), loss="waveform",
               taught_in="07_dprnn", description="four 1-D convolutions on the waveform: the baseline",
               checks={"chunk_agreement_db": 60.0})
