"""The models' registry: what a model file declares, one call to add it, a model by name
(built, or loaded from its checkpoint), and which checkpoint a run uses.

:func:`separate_with_model` separates a whole track with any registered model by name: it picks
the checkpoint and the rate, and :mod:`seplib.models.inference` runs the model over the track.

A model file declares, beside its ``nn.Module`` class, its hyper-parameters per run size, its
chunking for whole tracks, its training plan per size and its loss, and ends with one call::

    register_model("my-net", MyNet, hparams=HPARAMS, chunking=(10.0, 1.0), loss="waveform",
                   taught_in="05_unet", description="...")

That call also registers the separation method of the same name
(:func:`seplib.methods.register`, family ``learned``), so ``separate("my-net", ...)``,
``seplib train my-net``, ``seplib evaluate --method my-net``, the leaderboard and the listening
room know it.

Taught in: 05_unet
"""
from __future__ import annotations

import functools
import inspect
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .. import config, losses, methods
from ..audio import at_rate
from ..run import current
from ..stems import RATE, STEMS
from . import checkpoint
from .base import MaskingModel, WaveformModel
from .bag import Bag
from .checkpoint import BAG_KEY, BEST, MIRROR_KEY
from .inference import as_mixture, separate_track
from .shipped import SHIPPED, shipped_checkpoint


@dataclass(frozen=True)
class ModelSpec:
    """What a model file declares about its model.

    Args:
        name (str): its name everywhere (method, checkpoint folder, ``seplib train NAME``)
        cls (type): the ``nn.Module`` class; ``cls(**hparams)`` builds it
        hparams (dict): ``{size: {argument: value}}`` for every run size (``quick``, ``lab``, ``full``)
        chunking (tuple): ``(chunk_seconds, overlap_seconds)`` when separating a whole track
        loss (str): its loss recipe, one of :data:`seplib.losses.LOSS_FAMILIES`
        training (dict): ``{size: {plan key: value}}``: what changes in that size's training plan
            (:data:`seplib.sizes.TABLE`) for this model; a ``loss`` entry holds knobs for
            :func:`seplib.losses.loss_for`
        taught_in (str): the lesson (notebook) that teaches it, e.g. ``"05_unet"`` (``None`` for yours)
        trained_in (str): the notebook that trains the checkpoint the lessons use (named when there
            is none yet); ``taught_in`` unless it is another
        description (str): one line
        stems (tuple): the stems it gives by default
        checks (dict): what the generic model tests hold it to (:data:`CHECKS` says what each
            key means; the defaults hold for most models)
    """

    name: str
    cls: type = field(repr=False)
    hparams: dict = field(repr=False)
    chunking: tuple
    loss: str
    training: dict = field(default_factory=dict, repr=False)
    taught_in: str | None = None
    trained_in: str | None = None
    description: str = ""
    stems: tuple = STEMS
    checks: dict = field(default_factory=dict, repr=False)


CHECKS = {
    "chunk_agreement_db": 40.0,
    "overfit": {"hparams": {}, "lr": 1e-2, "steps": 60, "factor": 3.0},
}
"""What the generic model tests (``tests/test_models.py``) hold every model to, unless its
``register_model(..., checks=...)`` says otherwise:

* ``chunk_agreement_db``: separating a song in chunks of 1.5 s and of 2.5 s (0.5 s overlap)
  agrees to this SNR in dB (a model with long context, e.g. an LSTM over the chunk, agrees less);
* ``overfit``: a model of the ``quick`` size (with ``hparams`` over it) trained with Adam at ``lr``
  for ``steps`` steps on one 0.25 s example lowers its L1 loss by at least ``factor``.
"""

MODELS: dict = {}
"""Model name -> its :class:`ModelSpec`, in registration order (filled by :func:`register_model`)."""


def register_model(name, cls, *, hparams, chunking, loss, training=None, taught_in=None, trained_in=None,
                   description="", stems=STEMS, checks=None, replace=False, notebook=None):
    """Add a model: its record here, and its separation method (family ``learned``).

    Args:
        name (str): the model's name (lower case, words joined by ``-``)
        cls (type): its ``nn.Module`` class: ``forward(mixture (batch, channels, samples)) ->
            (batch, stems, channels, samples)``, with ``stems``, ``audio_channels`` and
            ``hparams`` attributes (see :mod:`seplib.models.base`)
        hparams, chunking, loss, training, taught_in, trained_in, description, stems, checks: see
            :class:`ModelSpec`
        notebook (str): the older name of ``taught_in``, still taken from your own modules
        replace (bool): allow replacing a model of the same name (re-running a cell that adds yours)

    Returns:
        spec (:class:`ModelSpec`)

    Raises:
        ValueError: a size without hyper-parameters, hyper-parameters the class does not take,
            class defaults that are not the ``lab`` size's, a class that is not a
            :class:`~seplib.models.base.MaskingModel` (loss ``masked-magnitude``) or
            :class:`~seplib.models.base.WaveformModel`, an unknown loss recipe, a bad chunking,
            unknown ``checks``, a name already taken (without ``replace=True``), or ``notebook`` and
            ``taught_in`` that differ

    Taught in: 05_unet
    """
    if notebook is not None and taught_in is not None and notebook != taught_in:
        raise ValueError(f"model {name!r}: notebook={notebook!r} and taught_in={taught_in!r} differ; "
                         "give taught_in only (notebook is its older name)")
    taught_in = taught_in if taught_in is not None else notebook
    missing = [size for size in config.SIZES if size not in hparams]
    if missing:
        raise ValueError(f"model {name!r}: no hyper-parameters for run size(s) {missing}")
    unknown = set(training or {}) - set(config.SIZES)
    if unknown:
        raise ValueError(f"model {name!r}: training plans for unknown run size(s) {sorted(unknown)}")
    if loss not in losses.LOSS_FAMILIES:
        raise ValueError(f"model {name!r}: loss must be one of {losses.LOSS_FAMILIES}, got {loss!r}")
    _check_class(name, cls, hparams, loss)
    unknown = set(checks or {}) - set(CHECKS)
    if unknown:
        raise ValueError(f"model {name!r}: unknown checks {sorted(unknown)}; known: {', '.join(CHECKS)}")
    chunk_s, overlap_s = chunking
    if not (chunk_s > 0 and 0 <= 2 * overlap_s < chunk_s):
        raise ValueError(f"model {name!r}: chunking must be (chunk_seconds, overlap_seconds) with "
                         f"0 <= 2 * overlap < chunk, got {chunking}")
    again = name in MODELS and MODELS[name].cls is cls  # the same model's file imported again
    if name in MODELS and not again and not replace:
        raise ValueError(f"a model named {name!r} is already registered; pick another name, or pass replace=True")
    spec = ModelSpec(name, cls, {size: dict(hp) for size, hp in hparams.items()}, (float(chunk_s), float(overlap_s)),
                     loss, {size: dict(plan) for size, plan in (training or {}).items()}, taught_in=taught_in,
                     trained_in=trained_in if trained_in is not None else taught_in, description=description,
                     stems=tuple(stems), checks={**CHECKS, **(checks or {})})
    MODELS[name] = spec
    losses.MODEL_LOSSES[name] = loss  # seplib.losses.loss_for(name) finds its recipe
    fn = functools.partial(separate_with_model, name)
    fn.__name__ = f"separate_{name.replace('-', '_')}"
    fn.__doc__ = f"Separate with the trained {name!r} model: :func:`separate_with_model` with ``name={name!r}``."
    methods.register(name, fn, family="learned", stems=spec.stems, takes_checkpoint=True, taught_in=taught_in,
                     description=description, replace=replace or again, takes_run=True)
    return spec


def _check_class(name, cls, hparams, loss):
    """What a model class must be, checked when it registers (one line naming what is wrong)."""
    base = MaskingModel if loss == "masked-magnitude" else WaveformModel
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ValueError(f"model {name!r}: {getattr(cls, '__name__', cls)} must subclass seplib.models.base."
                         f"{base.__name__} (loss {loss!r}): the base holds forward() and the front end")
    params = inspect.signature(cls).parameters
    for size, table in hparams.items():
        extra = set(table) - set(params)
        if extra:
            raise ValueError(f"model {name!r}: {cls.__name__} takes no {sorted(extra)} (the {size} size's hparams)")
    defaults = {k: p.default for k, p in params.items() if k not in ("stems", "audio_channels")}
    lab = hparams.get("lab", {})
    differ = {k: (defaults.get(k), v) for k, v in lab.items() if defaults.get(k) != v}
    differ.update({k: (v, None) for k, v in defaults.items() if k not in lab})
    if differ:
        said = ", ".join(f"{k}={a!r} (lab: {b!r})" for k, (a, b) in sorted(differ.items()))
        raise ValueError(f"model {name!r}: the class defaults must be the lab size's hparams: {said}")


def spec(name):
    """The :class:`ModelSpec` of a registered model.

    Raises:
        ValueError: unknown model (the message lists the known ones)

    Taught in: 05_unet
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return MODELS[name]


def names():
    """The registered models' names, in registration order."""
    return list(MODELS)


def hparams(name, size=None, run=None):
    """A model's hyper-parameters at a run size (a copy: change it freely).

    Args:
        name (str): a registered model
        size (str): ``quick``, ``lab`` or ``full`` (default: ``run.size``, else
            :func:`seplib.config.run_size`)
        run (:class:`seplib.run.Run`): the run context

    Returns:
        hparams (dict): keyword arguments for :func:`build`

    Taught in: 05_unet
    """
    size = config.size_of(size, run)
    table = spec(name).hparams
    if size not in table:
        raise ValueError(f"run size must be one of {tuple(table)}, got {size!r}")
    return dict(table[size])


def build(name, **hparams):
    """A freshly initialised model.

    Args:
        name (str): ``"unet"``, ``"demucs-lite"``, ``"dprnn"``, ``"conv1d"`` or one you registered
        **hparams: the class's keyword arguments, e.g. ``**hparams("unet", "quick")``; the rest
            take the class defaults (the ``lab`` size)

    Returns:
        model (nn.Module): with ``model.name`` and ``model.hparams`` (everything needed to
        rebuild it: ``build(model.name, **model.hparams)``)

    Taught in: 05_unet
    """
    cls = spec(name).cls
    try:
        model = cls(**hparams)
    except TypeError as err:
        known = [p for p in inspect.signature(cls).parameters]
        raise ValueError(f"bad hparams for {name!r}: {err}; known: {', '.join(known)}") from err
    model.name = name
    missing = set(inspect.signature(cls).parameters) - set(getattr(model, "hparams", None) or {})
    if missing:
        raise ValueError(f"model {name!r}: {cls.__name__}.hparams must hold every argument that rebuilds it; "
                         f"missing {sorted(missing)}")
    return model


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
    device = torch.device(device) if device is not None else config.device()
    path = Path(checkpoint_path).expanduser()
    ckpt = checkpoint.read(path, device)
    model_name = ckpt["model_name"]
    if model_name not in MODELS:
        raise ValueError(f"{path} holds an unknown model {model_name!r}; known: {', '.join(MODELS)}")
    if name is not None and model_name != name:
        raise ValueError(f"{path} holds a {model_name!r} model, not {name!r}: give a {name} checkpoint, "
                         f"or the method {model_name!r}")
    nets = []
    for i, member in enumerate(ckpt.get(BAG_KEY) or [ckpt]):
        # a hyper-parameter added after this checkpoint was saved: the value it was trained with
        hparams = {**getattr(MODELS[model_name].cls, "saved_before", {}), **member["hparams"]}
        state = member["model_state"]
        model = build(model_name, **hparams)
        try:
            model.load_state_dict(state)
        except RuntimeError as err:
            which = f" (bag member {i})" if BAG_KEY in ckpt else ""
            raise ValueError(f"{path}: its weights{which} do not fit a {model_name!r} built from its hparams "
                             f"({checkpoint.misfit(model, state)})") from err
        nets.append(model)
    model = Bag(nets, mirror=bool(ckpt.get(MIRROR_KEY, False))) if BAG_KEY in ckpt else nets[0]
    return model.to(device).eval()


def parameter_count(model):
    """Number of trainable parameters.

    Taught in: 05_unet
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def default_checkpoint(name, run=None):
    """Where a model's notebook (or ``seplib train NAME``) keeps its best checkpoint.

    Args:
        name (str): model name
        run (:class:`seplib.run.Run`): the run context (default :func:`seplib.run.current`):
            the model trained on its data set, at its size

    Returns:
        path (Path): ``run.models_dir / name / checkpoint.BEST`` (``best.pt``)

    Taught in: 05_unet
    """
    spec(name)
    return (run or current()).models_dir / name / BEST


def checkpoint_to_use(name, run=None):
    """The checkpoint :func:`separate_with_model` loads when none is given: the run's own trained
    model if there is one, else the one shipped with the package (:func:`seplib.models.shipped_checkpoint`);
    the shipped one in any case when the run cell chose ``models="shipped"`` (:func:`seplib.config.models_from`).

    Args:
        name (str): model name
        run (:class:`seplib.run.Run`): the run context (default :func:`seplib.run.current`)

    Returns:
        path (Path): the run's ``best.pt`` when it exists (or when nothing ships for this model:
            then it may not exist), else the shipped checkpoint
        shipped (bool): whether ``path`` is the shipped checkpoint

    Taught in: 05_unet
    """
    own = default_checkpoint(name, run)
    if name in SHIPPED and (config.models_from() == "shipped" or not own.is_file()):
        return shipped_checkpoint(name), True
    return own, False


def _trained_model(name, checkpoint_path, device, run):
    """The model :func:`separate_with_model` loads when given none: ``checkpoint_path``, else
    :func:`checkpoint_to_use` (saying so, in one line, when that is the shipped one)."""
    if checkpoint_path is not None:
        path = Path(checkpoint_path).expanduser()
    else:  # the run's own trained model, else the shipped one (saying so, in one line)
        path, shipped = checkpoint_to_use(name, run)
        if shipped:
            warnings.warn(f"no {name} trained for this run ({default_checkpoint(name, run)}): using the shipped "
                          f"{name}, {path.name}, trained on synthetic songs only (rough on real music; "
                          f"`seplib train {name}` trains your own)", stacklevel=3)
    if not path.is_file():
        trained_in = spec(name).trained_in
        raise FileNotFoundError(
            f"no trained {name} model at {path}: train it first with `seplib train {name} --size {run.size}` "
            + (f"or run notebooks/{trained_in}.ipynb " if trained_in else "") + "(or pass checkpoint=PATH)")
    return load(path, device=device if device is not None else run.device, name=name)


def separate_with_model(name, mixture, rate, checkpoint=None, model=None, chunk_seconds=None,
                        overlap_seconds=None, device=None, progress=False, run=None):
    """Separate a whole track with a trained model, in overlapping chunks.

    This chooses the model and the rate; :func:`seplib.models.inference.separate_track` runs it
    over the track. Chunk and overlap are rounded up to a multiple of the model's
    ``chunk_multiple`` (its total stride in samples), so that every chunk sees the same time
    grid; the waveform models normalise every chunk by the whole track's scale.  Together, with
    enough overlap, the result hardly depends on the chunk size.

    Args:
        name (str): model name (``"unet"``, ...)
        mixture (np.ndarray): ``(channels, samples)`` float32, any number of channels (when the
            model's differs, each channel is separated on its own, copied to the model's channels)
        rate (int): sample rate in Hz; the models work at 44100 Hz, so another rate is
            resampled to it and the stems back (with a warning naming both rates)
        checkpoint (str or Path): checkpoint file (default: :func:`checkpoint_to_use`: the run's
            own trained model, else the one shipped with the package, with a warning naming it)
        model (nn.Module): an in-memory model to use instead of a checkpoint
        chunk_seconds (float): chunk length (default: the model's ``chunking``)
        overlap_seconds (float): overlap of neighbouring chunks (default: the model's ``chunking``)
        device (str or torch.device): where to run (default: the model's device, or the run's
            device for a checkpoint); a passed model is moved there
        progress (bool): show a progress bar over chunks
        run (:class:`seplib.run.Run`): the run context whose model to load (default
            :func:`seplib.run.current`)

    Returns:
        estimates (dict): ``{stem: (channels, samples)}`` float32, at ``rate``, as long as the mixture

    Taught in: 05_unet
    """
    record = spec(name)
    mixture = as_mixture(mixture)
    if rate != RATE:  # the models learned 44.1 kHz songs: resample in and out (with a warning)
        return at_rate(lambda x, r: separate_with_model(
            name, x, r, checkpoint=checkpoint, model=model, chunk_seconds=chunk_seconds,
            overlap_seconds=overlap_seconds, device=device, progress=progress, run=run),
            mixture, rate, RATE, name)
    if model is None:
        model = _trained_model(name, checkpoint, device, run if run is not None else current())
    elif device is not None:
        model = model.to(device)
    chunk_s, overlap_s = record.chunking
    return separate_track(model, mixture, rate, chunk_s if chunk_seconds is None else chunk_seconds,
                          overlap_s if overlap_seconds is None else overlap_seconds, progress)
