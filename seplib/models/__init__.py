"""Learned separators: one file per model, a shared front end, one checkpoint format.

Every model is an ``nn.Module`` with a ``stems`` tuple and
``forward(mixture (batch, channels, samples)) -> estimates (batch, stems, channels, samples)``.
The spectrogram models (``unet``, ``dprnn``) also expose ``spectrogram(mixture)`` and
``masks(mixture)`` so losses can look at masks and masked magnitudes.

=============== ========================================== ==============
name            idea                                       notebook
=============== ========================================== ==============
``unet``        2-D U-Net on the magnitude spectrogram     05_unet
``demucs-lite`` 1-D waveform U-Net, GLUs, BiLSTM           06_demucs_lite
``dprnn``       dual-path RNN on the spectrogram           07_dprnn
``conv1d``      four 1-D convolutions: the baseline        07_dprnn
=============== ========================================== ==============

Where things are:

* :mod:`~seplib.models.base`: what the models share (the spectrogram front end and masking;
  the waveform models' normalisation);
* :mod:`~seplib.models.registry`: :func:`register_model` (which checks the contract), :func:`build`,
  :func:`hparams`, :func:`load` (a model rebuilt from its checkpoint), :func:`default_checkpoint`
  and :func:`checkpoint_to_use` (which checkpoint a run uses), and :func:`separate_with_model`
  (any model by name on a whole track: it picks the checkpoint and the rate);
* :mod:`~seplib.models.inference`: :func:`~seplib.models.inference.separate_track`, a model in
  memory run over a whole track (chunks on its time grid, one scale for the track, its channels);
* :mod:`~seplib.models.checkpoint`: the checkpoint format (``best.pt``, ``last.pt``; save, read, slim);
* :mod:`~seplib.models.bag`: a bag of trained networks of one model, their masks averaged (over the
  song and, if asked, its mirror image), saved as one checkpoint (:func:`~seplib.models.bag.save_bag`;
  the shipped U-Net is one);
* :mod:`~seplib.models.shipped`: the trained networks that ship with the package
  (:func:`shipped_checkpoint`), used when a run has no trained model of its own;
* one file per model: its class, ``HPARAMS`` per run size, and one :func:`register_model`
  call with its chunking, training plan changes and loss recipe.

**Add a model**: write ``seplib/models/my_net.py`` (a class on :class:`~seplib.models.base.MaskingModel`
or :class:`~seplib.models.base.WaveformModel`, its ``HPARAMS``, ``register_model(...)``) and
import it on the line below. ``seplib train my-net`` and ``separate("my-net", ...)`` then work.
The contract, with a worked toy model, is in ``seplib/README.md``.

Taught in: 05_unet
"""
from __future__ import annotations

from .base import mixture_std, waveform_scale  # noqa: F401
from .shipped import shipped_checkpoint, shipped_record  # noqa: F401
from .registry import (MODELS, ModelSpec, build, checkpoint_to_use, default_checkpoint, hparams,  # noqa: F401
                       load, names, parameter_count, register_model, separate_with_model, spec)

from . import unet, demucs_lite, dprnn, conv1d  # noqa: F401,E402  (each file registers its model)
