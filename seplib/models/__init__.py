"""Learned separators: build them, load their checkpoints, and separate whole tracks.

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

A checkpoint is a dict with (at least) ``model_name``, ``hparams`` and ``model_state``;
:func:`load` rebuilds the model from the first two and fills in the third.

Taught in: 05_unet
"""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from .. import RATE
from .. import config
from .conv1d import Conv1dBaseline
from .demucs_lite import DemucsLite, mixture_std
from .dprnn import DPRNN
from .unet import UNet

MODELS = {"unet": UNet, "demucs-lite": DemucsLite, "dprnn": DPRNN, "conv1d": Conv1dBaseline}
"""Model name (as in ``seplib.separate.METHODS``) -> its ``nn.Module`` class."""

NOTEBOOKS = {"unet": "05_unet", "demucs-lite": "06_demucs_lite", "dprnn": "07_dprnn", "conv1d": "07_dprnn"}
"""The notebook that teaches (and trains) each model."""

WAVEFORM_MODELS = ("demucs-lite", "conv1d")
"""Models that normalise by the mixture's scale (given the whole track's when chunked)."""

HPARAMS = {
    "unet": {
        "quick": dict(n_fft=1024, hop=512, max_bin=128, depth=3, hidden_channels=8, kernel_size=5,
                      gate="softmax", dropout=0.0),
        # lab: 4096/1024/512 bins costs what 2048/512/256 did per step (as many TF points) and
        # scored higher on every stem of the lab test songs, vocals 4.18 -> 4.83 dB (README)
        "lab": dict(n_fft=4096, hop=1024, max_bin=512, depth=5, hidden_channels=12, kernel_size=5,
                    gate="softmax", dropout=0.0),
        "full": dict(n_fft=4096, hop=1024, max_bin=1024, depth=6, hidden_channels=16, kernel_size=5,
                     gate="softmax", dropout=0.2),
    },
    "demucs-lite": {
        "quick": dict(depth=3, channels=8, growth=2, kernel_size=8, stride=4, lstm_layers=2),
        "lab": dict(depth=4, channels=16, growth=2, kernel_size=8, stride=4, lstm_layers=2),
        "full": dict(depth=5, channels=32, growth=2, kernel_size=8, stride=4, lstm_layers=2),
    },
    "dprnn": {
        "quick": dict(n_fft=1024, hop=512, max_bin=128, features=32, hidden=32, chunk_frames=16, blocks=1,
                      gate="softmax"),
        "lab": dict(n_fft=1024, hop=512, max_bin=256, features=64, hidden=64, chunk_frames=16, blocks=2,
                    gate="softmax"),
        "full": dict(n_fft=2048, hop=512, max_bin=512, features=128, hidden=128, chunk_frames=48, blocks=4,
                     gate="softmax"),
    },
    "conv1d": {
        "quick": dict(channels=16, kernel_size=32, stride=16, inner_kernel=5),
        "lab": dict(channels=48, kernel_size=32, stride=16, inner_kernel=5),
        "full": dict(channels=64, kernel_size=32, stride=16, inner_kernel=5),
    },
}
"""Default hyper-parameters: ``HPARAMS[name][size]`` for size ``quick`` (CI: trains in
seconds on a CPU), ``lab`` (minutes on a laptop CPU; also the classes' defaults) and
``full`` (a GPU).  ``stems`` and ``audio_channels`` are left to the classes' defaults."""

CHUNKING = {"unet": (10.0, 1.0), "demucs-lite": (10.0, 2.0), "dprnn": (10.0, 2.0), "conv1d": (10.0, 0.5)}
"""Default ``(chunk_seconds, overlap_seconds)`` when separating a whole track."""

CHECKPOINT_KEYS = ("model_name", "hparams", "model_state")
"""What a seplib checkpoint holds at least (the training loop adds optimizer state etc.)."""


def _check_name(name):
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")


def build(name, **hparams):
    """A freshly initialised model.

    Args:
        name (str): ``"unet"``, ``"demucs-lite"``, ``"dprnn"`` or ``"conv1d"``
        **hparams: the class's keyword arguments, e.g. ``**HPARAMS[name]["quick"]``; the
            rest take the class defaults (the ``lab`` size)

    Returns:
        model (nn.Module): with ``model.name`` and ``model.hparams`` (everything needed to
        rebuild it: ``build(model.name, **model.hparams)``)

    Taught in: 05_unet
    """
    _check_name(name)
    cls = MODELS[name]
    try:
        model = cls(**hparams)
    except TypeError as err:
        import inspect

        known = [p for p in inspect.signature(cls).parameters]
        raise ValueError(f"bad hparams for {name!r}: {err}; known: {', '.join(known)}") from err
    model.name = name
    return model


def parameter_count(model):
    """Number of trainable parameters.

    Taught in: 05_unet
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def default_checkpoint(name):
    """Where a model's notebook (or ``seplib train NAME``) keeps its best checkpoint.

    Args:
        name (str): model name

    Returns:
        path (Path): ``models_dir() / name / "best.pt"``

    Taught in: 05_unet
    """
    _check_name(name)
    return config.models_dir() / name / "best.pt"


def load(checkpoint_path, device=None, name=None):
    """Rebuild a trained model from a checkpoint file, in eval mode.

    Args:
        checkpoint_path (str or Path): a ``.pt`` file holding ``model_name``, ``hparams`` and
            ``model_state``
        device (str or torch.device): where to put it (default: ``config.device()``)
        name (str): if given, the model the checkpoint must hold

    Returns:
        model (nn.Module): in eval mode, on ``device``

    Raises:
        FileNotFoundError: the file does not exist
        ValueError: the file is not a seplib checkpoint, or holds another model

    Taught in: 05_unet
    """
    path = Path(checkpoint_path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    device = torch.device(device) if device is not None else config.device()
    try:
        ckpt = torch.load(path, map_location=device, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as err:
        raise ValueError(f"{path} is not a seplib checkpoint: torch.load cannot read it ({err})") from err
    if not isinstance(ckpt, dict) or not all(k in ckpt for k in CHECKPOINT_KEYS):
        found = sorted(ckpt)[:8] if isinstance(ckpt, dict) else type(ckpt).__name__
        raise ValueError(f"{path} is not a seplib checkpoint: it needs keys {CHECKPOINT_KEYS}, found {found}")
    model_name = ckpt["model_name"]
    if model_name not in MODELS:
        raise ValueError(f"{path} holds an unknown model {model_name!r}; known: {', '.join(MODELS)}")
    if name is not None and model_name != name:
        raise ValueError(f"{path} holds a {model_name!r} model, not {name!r}")
    model = build(model_name, **ckpt["hparams"])
    try:
        model.load_state_dict(ckpt["model_state"])
    except RuntimeError as err:
        raise ValueError(f"{path}: its weights do not fit a {model_name!r} built from its hparams: {err}") from err
    return model.to(device).eval()


def _round_up(n, multiple):
    return -(-n // multiple) * multiple


def separate_with_model(name, mixture, rate, checkpoint=None, model=None, chunk_seconds=None,
                        overlap_seconds=None, device=None, progress=False):
    """Separate a whole track with a trained model, in overlapping chunks.

    Chunk and overlap are rounded up to a multiple of the model's ``chunk_multiple`` (its
    total stride in samples), so that every chunk sees the same time grid; the waveform
    models normalise every chunk by the whole track's scale.  Together, with enough overlap,
    the result hardly depends on the chunk size.

    Args:
        name (str): model name (``"unet"``, ...)
        mixture (np.ndarray): ``(channels, samples)`` float32
        rate (int): must be 44100
        checkpoint (str or Path): checkpoint file (default: :func:`default_checkpoint`)
        model (nn.Module): an in-memory model to use instead of a checkpoint
        chunk_seconds (float): chunk length (default: :data:`CHUNKING`)
        overlap_seconds (float): overlap of neighbouring chunks (default: :data:`CHUNKING`)
        device (str or torch.device): where to run (default: the model's device, or
            ``config.device()`` for a checkpoint); a passed model is moved there
        progress (bool): show a progress bar over chunks

    Returns:
        estimates (dict): ``{stem: (channels, samples)}`` float32

    Taught in: 05_unet
    """
    from ..separate import separate_chunked

    _check_name(name)
    if rate != RATE:
        raise ValueError(f"the {name} model works at {RATE} Hz, got rate={rate}: resample the mixture first")
    mixture = np.ascontiguousarray(mixture, dtype=np.float32)
    if mixture.ndim != 2:
        raise ValueError(f"mixture must be (channels, samples), got shape {mixture.shape}")
    if model is None:
        path = Path(checkpoint).expanduser() if checkpoint is not None else default_checkpoint(name)
        if not path.is_file():
            raise FileNotFoundError(
                f"no trained {name} model at {path}: train it first with `seplib train {name}` "
                f"or run notebooks/{NOTEBOOKS[name]}.ipynb (or pass checkpoint=PATH)")
        model = load(path, device=device, name=name)
    elif device is not None:
        model = model.to(device)
    if mixture.shape[0] != model.audio_channels:
        raise ValueError(f"the model expects {model.audio_channels} audio channels, the mixture has "
                         f"{mixture.shape[0]} (shape {mixture.shape})")
    dev = next(model.parameters()).device

    # chunking on the model's time grid
    chunk_s, overlap_s = CHUNKING[name]
    chunk_s = chunk_s if chunk_seconds is None else chunk_seconds
    overlap_s = overlap_s if overlap_seconds is None else overlap_seconds
    if not (chunk_s > 0 and 0 <= 2 * overlap_s < chunk_s):
        raise ValueError(f"need chunk_seconds > 0 and 0 <= overlap_seconds < chunk_seconds / 2, "
                         f"got chunk_seconds={chunk_s}, overlap_seconds={overlap_s}")
    multiple = getattr(model, "chunk_multiple", 1)
    chunk = _round_up(max(int(round(chunk_s * rate)), 1), multiple)
    overlap = _round_up(int(round(overlap_s * rate)), multiple)
    while 2 * overlap >= chunk:  # rounding up made the overlap too long: step back on the grid
        overlap -= multiple
    if chunk >= _round_up(mixture.shape[1], multiple):  # one chunk holds it all
        chunk, overlap = _round_up(mixture.shape[1], multiple), 0

    kwargs = {}
    if name in WAVEFORM_MODELS:  # one scale for the whole track, not one per chunk
        kwargs["std"] = float(mixture_std(torch.from_numpy(mixture)[None]))

    def fn(piece):
        x = torch.from_numpy(np.ascontiguousarray(piece))[None].to(dev)   # (1, channels, chunk)
        est = model(x, **kwargs)[0].float().cpu().numpy()                  # (stems, channels, chunk)
        return dict(zip(model.stems, est))

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return separate_chunked(fn, mixture, chunk, overlap, progress=progress)
    finally:
        model.train(was_training)


def separate_unet(mixture, rate, checkpoint=None, model=None, chunk_seconds=None, overlap_seconds=None,
                  device=None, progress=False):
    """Separate with the spectrogram U-Net (method ``"unet"``); see :func:`separate_with_model`.

    Returns:
        estimates (dict): ``{stem: (channels, samples)}``

    Taught in: 05_unet
    """
    return separate_with_model("unet", mixture, rate, checkpoint, model, chunk_seconds, overlap_seconds,
                               device, progress)


def separate_demucs_lite(mixture, rate, checkpoint=None, model=None, chunk_seconds=None,
                         overlap_seconds=None, device=None, progress=False):
    """Separate with the waveform Demucs-lite (method ``"demucs-lite"``); see :func:`separate_with_model`.

    Returns:
        estimates (dict): ``{stem: (channels, samples)}``

    Taught in: 06_demucs_lite
    """
    return separate_with_model("demucs-lite", mixture, rate, checkpoint, model, chunk_seconds,
                               overlap_seconds, device, progress)


def separate_dprnn(mixture, rate, checkpoint=None, model=None, chunk_seconds=None, overlap_seconds=None,
                   device=None, progress=False):
    """Separate with the dual-path RNN (method ``"dprnn"``); see :func:`separate_with_model`.

    Returns:
        estimates (dict): ``{stem: (channels, samples)}``

    Taught in: 07_dprnn
    """
    return separate_with_model("dprnn", mixture, rate, checkpoint, model, chunk_seconds, overlap_seconds,
                               device, progress)


def separate_conv1d(mixture, rate, checkpoint=None, model=None, chunk_seconds=None, overlap_seconds=None,
                    device=None, progress=False):
    """Separate with the Conv1d baseline (method ``"conv1d"``); see :func:`separate_with_model`.

    Returns:
        estimates (dict): ``{stem: (channels, samples)}``

    Taught in: 07_dprnn
    """
    return separate_with_model("conv1d", mixture, rate, checkpoint, model, chunk_seconds, overlap_seconds,
                               device, progress)
