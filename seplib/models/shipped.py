"""The trained models that ship inside the package, so that a song can be separated out of the box.

One model ships today: a U-Net (stems vocals, drums, bass, other) trained by the project's own
command, ``seplib train unet``, on the synthetic songs (:mod:`seplib.data.synth`). Its record,
``weights/unet-synth.json`` beside the weights, holds the exact command, the training plan, the
seed, the data set, the git commit, the training time and its scores on the synthetic test split.

Expect it to separate synthetic songs well and real music only roughly: it has never heard a
real recording. Train on MUSDB18 (notebook 09, or ``seplib train unet --root MUSDB18``) for better.

Taught in: 05_unet
"""
from __future__ import annotations

import json
from pathlib import Path

WEIGHTS = Path(__file__).resolve().parent / "weights"
"""The folder of the shipped checkpoints and their records (package data)."""

SHIPPED = {"unet": "unet-synth.pt"}
"""Model name -> the file name of its shipped checkpoint in :data:`WEIGHTS`."""


def shipped_checkpoint(name="unet"):
    """The checkpoint shipped inside the package for a model.

    The ``unet`` one was trained with ``seplib train unet --size lab --steps 900`` (the lab plan,
    three times the steps) on the 24 synthetic training songs of ``synth-lab``; the exact command,
    data, training time and scores on the synthetic test split are in its record,
    ``seplib/models/weights/unet-synth.json`` (:func:`shipped_record`).

    Args:
        name (str): the model (only ``"unet"`` ships)

    Returns:
        path (Path): the ``.pt`` file, loadable with :func:`seplib.models.load`

    Raises:
        ValueError: no shipped checkpoint for that model
        FileNotFoundError: the package lacks the file (an install without its package data)

    Taught in: 05_unet
    """
    if name not in SHIPPED:
        raise ValueError(f"no shipped checkpoint for {name!r}; one ships for: {', '.join(SHIPPED)}")
    path = WEIGHTS / SHIPPED[name]
    if not path.is_file():
        raise FileNotFoundError(f"the shipped {name} checkpoint is missing: {path} (the package was installed "
                                "without its data files; reinstall it with `pip install .`)")
    return path


def shipped_record(name="unet"):
    """What the shipped checkpoint was trained on and how it scores (its ``.json`` record).

    Args:
        name (str): the model (only ``"unet"`` ships)

    Returns:
        record (dict): ``command``, ``plan``, ``seed``, ``data``, ``commit``, ``train_seconds``,
        ``scores`` (median SDR per stem on the synthetic test split), ...

    Taught in: 05_unet
    """
    path = shipped_checkpoint(name).with_suffix(".json")
    if not path.is_file():
        raise FileNotFoundError(f"the record of the shipped {name} checkpoint is missing: {path}")
    return json.loads(path.read_text())
