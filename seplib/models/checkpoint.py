"""The checkpoint format, in one place: what :func:`seplib.train.fit` writes and :func:`read` reads
(:func:`seplib.models.load` rebuilds the model from it).

A checkpoint is a ``.pt`` file holding a dict with (at least) :data:`KEYS`: ``model_name``,
``hparams`` (``seplib.models.build(model_name, **hparams)`` rebuilds the network) and
``model_state`` (its weights). ``fit`` adds, in ``last.pt``, everything an exact resume needs
(optimizer, loss scaler, step, random states, data settings); ``best.pt`` holds the best
validation weights with ``step`` and ``valid_loss``. Files are written atomically (:func:`save`)
with a checksum of their content (``sha256``, :func:`content_hash`), and read with
``weights_only=True`` (no code runs while loading); :func:`read` refuses a file whose content no
longer matches its checksum (bit rot, a bad copy) or whose weights are not finite.

Taught in: 05_unet
"""
from __future__ import annotations

import errno
import hashlib
import io
import os
import pickle
import re
import zipfile
from zlib import error as zlib_error
from pathlib import Path

import torch

BEST = "best.pt"
"""A training run's best validation weights, in its folder (what separating loads by default)."""
LAST = "last.pt"
"""A training run's latest state, in its folder: everything an exact resume needs."""

KEYS = ("model_name", "hparams", "model_state")
"""What a seplib checkpoint holds at least (the training loop adds optimizer state etc.)."""

BAG_KEY = "bag"
"""In a bag of models (:mod:`seplib.models.bag`): one ``{"hparams", "model_state"}`` per member
(the first member's are the file's own ``hparams`` and ``model_state`` too, so the file is also a
checkpoint of one network)."""

MIRROR_KEY = "mirror"
"""In a bag: ``True`` when the bag also listens to the mirror image (:class:`seplib.models.bag.Bag`)."""

HASH_KEY = "sha256"
"""The entry holding :func:`content_hash` of everything else, written by :func:`save` (checkpoints
saved before it existed have none: they are still read, if their weights are finite)."""


def content_hash(state):
    """A SHA-256 of a checkpoint's content: every tensor's bytes (with its dtype and shape) and
    every other value, walked in a fixed order, so that the same content always gives the same
    hex string, wherever its tensors live.

    Args:
        state (dict): what :func:`save` writes (without :data:`HASH_KEY`)

    Returns:
        digest (str): 64 hex digits

    Taught in: 05_unet
    """
    digest = hashlib.sha256()
    _feed(digest, state)
    return digest.hexdigest()


def _feed(digest, value):
    import numpy as np

    if torch.is_tensor(value):
        t = value.detach().cpu().contiguous()
        digest.update(f"T{t.dtype}{tuple(t.shape)}:".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy())
    elif isinstance(value, np.ndarray):
        digest.update(f"A{value.dtype}{value.shape}:".encode())
        digest.update(np.ascontiguousarray(value).view(np.uint8))
    elif isinstance(value, dict):
        digest.update(b"{")
        for key in sorted(value, key=repr):
            digest.update(repr(key).encode() + b":")
            _feed(digest, value[key])
        digest.update(b"}")
    elif isinstance(value, (list, tuple)):
        digest.update(b"(" if isinstance(value, tuple) else b"[")
        for item in value:
            _feed(digest, item)
            digest.update(b",")
        digest.update(b")")
    else:
        digest.update(repr(value).encode() + b";")


def model_info(model):
    """What a checkpoint needs to rebuild a model: ``{"model_name", "hparams", "stems"}``.

    The name is ``model.name`` (else the class name in lower case), ``hparams`` is
    ``model.hparams``: ``seplib.models.build(name, **hparams)`` makes the same model again.

    Taught in: 05_unet
    """
    return {"model_name": getattr(model, "name", type(model).__name__.lower()),
            "hparams": dict(getattr(model, "hparams", {})),
            "stems": tuple(getattr(model, "stems", ()))}


def save(path, state):
    """Write a checkpoint atomically: to ``path.tmp`` first, then rename over ``path``, so a
    runtime that dies while writing leaves the previous checkpoint whole.  The file also holds
    :data:`HASH_KEY`, the :func:`content_hash` of the rest, which :func:`read` checks.  A write
    that fails (a full disk) removes ``path.tmp`` and raises ``OSError`` naming ``path``.

    Args:
        path (str or Path): the ``.pt`` file
        state (dict): what to write (for a model: :func:`model_info` and ``model_state``, at least)

    Returns:
        path (Path)

    Taught in: 05_unet
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    state = {k: v for k, v in state.items() if k != HASH_KEY}
    state[HASH_KEY] = content_hash(state)
    buffer = io.BytesIO()  # serialised in memory, written by Python: a failed write is an OSError
    torch.save(state, buffer)
    try:
        with open(tmp, "wb") as f:
            f.write(buffer.getbuffer())
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise OSError(err.errno or errno.EIO, err.strerror or str(err), str(path)) from err
    return path


def read(path, device="cpu"):
    """Read a checkpoint file and check that it is one.

    Args:
        path (str or Path): a ``.pt`` file
        device (str or torch.device): where its tensors go

    Returns:
        checkpoint (dict): with at least :data:`KEYS`

    Raises:
        FileNotFoundError: the file does not exist
        ValueError: the file is not a seplib checkpoint

    Taught in: 05_unet
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}" if not path.exists()
                                else f"checkpoint {path} is a folder, not a .pt file")
    problem = _damage(path)
    if problem:
        raise ValueError(f"{path} {problem}")
    try:
        ckpt = torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as err:
        found = re.search(r"GLOBAL (\S+)", str(err))
        if not found:  # not a pickle that torch wrote
            raise ValueError(f"{path} is not a seplib checkpoint (another kind of file, or damaged): "
                             "torch cannot read it") from err
        # weights_only refused what the pickle holds
        raise ValueError(f"{path} is not a seplib checkpoint: it holds Python objects beyond tensors "
                         f"({found.group(1)}: a whole pickled model?), which seplib does not load") from err
    except Exception as err:  # noqa: BLE001 - a foreign or damaged file (text, WAV, bit rot) fails in many ways
        raise ValueError(f"{path} is not a seplib checkpoint (another kind of file, or damaged): torch cannot "
                         f"read it ({type(err).__name__}: {_first_line(err)})") from err
    if not isinstance(ckpt, dict) or not all(k in ckpt for k in KEYS):
        found = sorted(map(str, ckpt))[:5] if isinstance(ckpt, dict) else type(ckpt).__name__
        raise ValueError(f"{path} is not a seplib checkpoint: it needs keys {', '.join(KEYS)}, found {found}"
                         + (" (a bare state dict?)" if isinstance(ckpt, dict) and ckpt
                            and all(torch.is_tensor(v) for v in ckpt.values()) else ""))
    problem = _content_problem(ckpt)
    if problem:
        raise ValueError(f"{path} {problem}")
    return ckpt


def _content_problem(ckpt):
    """What is wrong with a checkpoint's content (``None``: nothing): a checksum that does not match
    (written at save time; older files have none), or weights that are not finite."""
    saved = ckpt.get(HASH_KEY)
    if saved is not None and saved != content_hash({k: v for k, v in ckpt.items() if k != HASH_KEY}):
        return ("is damaged: its content does not match the checksum written when it was saved "
                "(bit rot, or a bad copy); copy it again, or train again")
    members = ckpt.get(BAG_KEY) or []
    whole = isinstance(members, list) and all(isinstance(m, dict) and {"hparams", "model_state"} <= set(m)
                                              for m in members)
    if not whole:
        return (f"is not a seplib checkpoint: its {BAG_KEY!r} is not a list of members with hparams and "
                "model_state each")
    for state in [ckpt["model_state"], *(m["model_state"] for m in members)]:
        if not isinstance(state, dict):
            return f"is not a seplib checkpoint: its model_state is a {type(state).__name__}, not a dict of tensors"
        for key, value in state.items():
            if torch.is_tensor(value) and value.is_floating_point() and not bool(torch.isfinite(value).all()):
                return (f"holds weights that are not finite (NaN or inf in {key!r}): a run that diverged, "
                        "or a damaged file; train again")
    return None


def misfit(model, state):
    """How a state dict fails to fit a model, in one short phrase (counts and a first example).

    Taught in: 05_unet
    """
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [k for k in own if k in state and tuple(own[k].shape) != tuple(getattr(state[k], "shape", ()))]
    said = [f"{len(keys)} {what} (e.g. {keys[0]!r})" for keys, what in
            ((missing, "missing"), (unexpected, "unexpected"), (shapes, "of another shape")) if keys]
    return ", ".join(said) or "the weights do not load"


def _first_line(err):
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


def _damage(path):
    """What is wrong with a ``.pt`` file that cannot be a whole checkpoint (``None``: it may be one).

    ``torch.save`` writes a zip archive, whose index sits at the end: a file cut short (a copy
    or a download that stopped) starts like one and lacks its end.
    """
    size = path.stat().st_size
    if size == 0:
        return "is empty (0 bytes): not a checkpoint"
    with open(path, "rb") as f:
        head = f.read(4)
    if head == b"PK\x03\x04":
        if not zipfile.is_zipfile(path):
            return f"is truncated ({size} bytes, the end of its zip archive is missing): copy or train it again"
        # every record of the archive carries a CRC-32 written with it; torch does not check them, so
        # a byte changed inside a file saved without seplib's checksum (an older one) would load
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
        except (zipfile.BadZipFile, OSError, EOFError, zlib_error) as err:
            return f"is damaged: its zip archive cannot be read ({_first_line(err)}): copy it again, or train again"
        if bad is not None:
            return (f"is damaged: {bad} in its zip archive does not match the checksum (CRC-32) stored "
                    "with it (bit rot, or a bad copy): copy it again, or train again")
    return None


def half_state(state):
    """A copy of a state dict with its float32 tensors as float16 (half the bytes; loading copies
    them back into a float32 model).

    Taught in: 05_unet
    """
    return {k: (v.half() if v.dtype == torch.float32 else v).clone() for k, v in state.items()}


def slim(checkpoint_path, out_path, half=True, **extra):
    """A small copy of a checkpoint that keeps only what separating needs.

    Keeps :data:`KEYS`, ``stems`` and ``step``, drops the optimizer and everything a resume
    needs, and with ``half`` stores the float weights as float16 (half the bytes; :func:`seplib.models.load`
    copies them into the float32 model, so they come back as float32). This is how the checkpoint
    shipped with the package was made from a trained ``best.pt``.

    Args:
        checkpoint_path (str or Path): a checkpoint, e.g. ``best.pt``
        out_path (str or Path): the new ``.pt`` file (an existing file is not overwritten)
        half (bool): store float32 weights as float16
        **extra: more entries to store (plain values: numbers, strings, lists, dicts)

    Returns:
        path (Path): ``out_path``

    Raises:
        FileExistsError: ``out_path`` exists

    Taught in: 05_unet
    """
    out_path = Path(out_path)
    if out_path.exists():
        raise FileExistsError(f"not overwriting {out_path}: remove it first, or pick another name")
    ckpt = read(checkpoint_path)
    state = half_state(ckpt["model_state"]) if half else ckpt["model_state"]
    small = {key: ckpt[key] for key in (*KEYS, "stems", "step") if key in ckpt}
    return save(out_path, {**small, "model_state": state, **extra})
