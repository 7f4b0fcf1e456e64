"""The run context: which data, which run size, which device, and where models and scores live.

Built once (from a notebook's setup, the command line's arguments, or the environment) and
passed down, so that everything in one run agrees: ``seplib evaluate --size quick --method
unet`` scores the quick songs with the quick model, whatever ``$SEPLIB_SIZE`` says.

    from seplib.run import current
    run = current(size="quick")          # or current() for the environment's choice
    run.size, run.root, run.dataset, run.models_dir, run.results_dir, run.device

What takes ``run=`` (``None``: :func:`current`, the environment's run): ``separate(...)``
(passed on to a method that takes it), :func:`seplib.models.default_checkpoint` and every
learned method (which model file to load), :func:`seplib.train.train_model` and
:func:`seplib.train.plan`, :func:`seplib.models.hparams`, :func:`seplib.data.open_dataset`,
:func:`seplib.classical.nmf.settings` / ``supervised_dictionaries`` / ``method_kwargs``. What
each size holds is in :mod:`seplib.sizes`; where a data set's models live is
:func:`seplib.config.models_dir` (``$SEPLIB_MODELS`` is a base folder: one subfolder per
data set).

Taught in: 00_getting_started
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import config
from .data.musdb import dataset_name


@dataclass(frozen=True)
class Run:
    """Everything that depends on the run, decided once.

    Args:
        size (str): ``quick``, ``lab`` or ``full``
        root (Path or str): the data set's folder (or ``"previews"``); ``None`` until resolved
        dataset (str): the data set's short name, e.g. ``synth-quick`` or ``MUSDB18HQ``
        device (str): ``cuda``, ``mps`` or ``cpu``
        models_dir (Path): where this data set's trained models and NMF dictionaries are kept
        results_dir (Path): where scores are stored
    """

    size: str
    root: object
    dataset: str
    device: str
    models_dir: Path
    results_dir: Path


def current(size=None, root=None, device=None):
    """The run context from arguments, falling back on the environment.

    Args:
        size (str): a run size (default :func:`seplib.config.run_size`)
        root (str or Path): a data set's folder, or ``"previews"`` (default ``$MUSDB_PATH``, else
            the synthetic set of ``size``; not written until data are opened)
        device (str): a torch device name (default :func:`seplib.config.device`)

    Returns:
        run (:class:`Run`)

    Raises:
        ValueError: an unknown run size
    """

    size = config.size_of(size)
    if size not in config.SIZES:
        raise ValueError(f"run size {size!r} is not one of {config.SIZES}")
    dataset = dataset_name(root, size)
    return Run(size=size, root=root, dataset=dataset, device=str(device or config.device()),
               models_dir=config.models_dir(dataset), results_dir=config.results_dir())
