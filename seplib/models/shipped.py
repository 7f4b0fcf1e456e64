"""The trained models that ship inside the package, so that a song is separated out of the box.

Each network of the lessons (``unet``, ``demucs-lite``, ``dprnn``, ``conv1d``) ships a checkpoint
trained by the project's own command, ``seplib train NAME``, on the synthetic songs
(:mod:`seplib.data.synth`). Beside each ``weights/NAME-synth.pt`` lies its record,
``weights/NAME-synth.json``: the exact command, the training plan, the seed, the data set, the git
commit, the torch version, the training time, the training curve and its scores on the
synthetic test split and on the real song (:mod:`seplib.data.example`). The U-Net ships as a bag
of four networks (:mod:`seplib.models.bag`), trained by one command from seeds 0 to 3 on both
synthetic sets, their masks averaged over the song and its mirror image (left and right swapped):
its record lists each member's seed, step and curve.

They are used when a run has trained none of its own (``seplib separate --method NAME``,
:func:`seplib.models.checkpoint_to_use`), and by the notebooks when the run cell says
``MODELS = "shipped"``. Expect them to separate synthetic songs well and real music only roughly:
they have never heard a real recording. Train on MUSDB18 (notebook 09, or
``seplib train NAME --root MUSDB18``) for better.

Adding one: put ``NAME-synth.pt`` and its record (with ``"model_name"`` and ``"file"``) into
``weights/``; :data:`SHIPPED` finds it.

Taught in: 05_unet
"""
from __future__ import annotations

import json
from pathlib import Path

WEIGHTS = Path(__file__).resolve().parent / "weights"
"""The folder of the shipped checkpoints and their records (package data)."""


def _shipped(folder):
    found = {}
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # not a record; shipped_record names a broken one when asked
        if isinstance(record, dict) and record.get("model_name") and record.get("file"):
            found[record["model_name"]] = record["file"]
    return found


SHIPPED = _shipped(WEIGHTS)
"""Model name -> the file name of its shipped checkpoint in :data:`WEIGHTS` (read from the records there)."""


def shipped_checkpoint(name="unet"):
    """The checkpoint shipped inside the package for a model.

    Each was trained with ``seplib train NAME --size lab`` (the lab plan, or longer) on the
    synthetic training songs of ``synth-lab`` (the U-Net: four runs on ``synth-lab`` and ``render-lab``
    together, a bag); the exact command, data, training time and scores
    are in its record, ``seplib/models/weights/NAME-synth.json`` (:func:`shipped_record`).

    Args:
        name (str): the model (one of :data:`SHIPPED`)

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
        name (str): the model (one of :data:`SHIPPED`)

    Returns:
        record (dict): ``command``, ``plan``, ``seed``, ``data``, ``commit``, ``train_seconds``,
        ``scores`` (median SDR per stem on the synthetic test split and the real song),
        ``history`` (the training curve, where recorded), ...

    Taught in: 05_unet
    """
    path = shipped_checkpoint(name).with_suffix(".json")
    if not path.is_file():
        raise FileNotFoundError(f"the record of the shipped {name} checkpoint is missing: {path}")
    return json.loads(path.read_text())
