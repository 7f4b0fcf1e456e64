"""One table per run size: everything whose size depends on the run, read from here.

A run size (``quick``, ``lab``, ``full``; see :func:`seplib.config.run_size`) decides how much
work a notebook does. :data:`TABLE` holds, for each size, one dict with one part per concern:

* ``data``: songs per split of the synthetic data set and their length (``valid`` songs live
  in ``train/``), read by :mod:`seplib.data.synth`;
* ``training``: the training plan every model starts from (steps, batch size, chunk seconds,
  how often to validate, validation chunks per track), read by :func:`seplib.train.plan`; a
  model's own file may change it for that model (``training=`` of
  :func:`seplib.models.register_model`);
* ``nmf``: NMF sizes (components and iterations to separate a song; templates per stem,
  learning iterations and seconds per training song for the supervised dictionaries), read
  by :func:`seplib.classical.nmf.settings`.

A model's hyper-parameters per size live in that model's file (``HPARAMS``), next to its
class, and are read with :func:`seplib.models.hparams`.

Taught in: 00_getting_started
"""
from __future__ import annotations

import copy

from . import config

TABLE = {
    "quick": {  # CI: a minute per notebook on a CPU
        "data": dict(train=4, valid=1, test=2, seconds=8.0),
        "training": dict(steps=32, batch_size=2, seconds=1.0, valid_every=8, per_track=2),
        "nmf": dict(n_components=16, n_iter=50, dict_components=8, dict_iter=40, dict_seconds=8.0),
    },
    "lab": {  # a class lab on a laptop CPU: minutes per notebook
        "data": dict(train=24, valid=4, test=6, seconds=30.0),
        "training": dict(steps=300, batch_size=4, seconds=3.0, valid_every=50, per_track=4),
        # learning the dictionaries: about four minutes on one CPU core (then cached)
        "nmf": dict(n_components=32, n_iter=80, dict_components=16, dict_iter=60, dict_seconds=10.0),
    },
    "full": {  # a GPU: the whole lesson
        "data": dict(train=80, valid=10, test=16, seconds=30.0),
        # sized for a Colab-class GPU. 5000 steps of 16 x 6 s were too much (on an H200 the
        # trainings of notebooks 05-07 side by side did not finish in 6 minutes); these took 1.4
        # to 3.7 minutes each there, side by side (README, "How long things take")
        "training": dict(steps=2000, batch_size=8, seconds=6.0, valid_every=200, per_track=8),
        "nmf": dict(n_components=32, n_iter=100, dict_components=32, dict_iter=100, dict_seconds=30.0),
    },
}
"""``TABLE[size][part]``: ``part`` is ``"data"``, ``"training"`` or ``"nmf"`` (see above)."""

PARTS = ("data", "training", "nmf")


def of(part, size=None, run=None):
    """One part of a run size's row of :data:`TABLE`, as a copy (change it freely).

    Args:
        part (str): ``"data"``, ``"training"`` or ``"nmf"``
        size (str): ``quick``, ``lab`` or ``full`` (default: ``run.size``, else
            :func:`seplib.config.run_size`)
        run (:class:`seplib.run.Run`): the run whose size to use when ``size`` is not given

    Returns:
        values (dict)

    Raises:
        ValueError: an unknown size or part

    Taught in: 00_getting_started
    """
    size = config.size_of(size, run)
    if size not in TABLE:
        raise ValueError(f"run size must be one of {tuple(TABLE)}, got {size!r}")
    if part not in TABLE[size]:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")
    return copy.deepcopy(TABLE[size][part])
