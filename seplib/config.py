"""Where things live and how big a run is: device, run size, seeds and paths.

What each run size holds is in :mod:`seplib.sizes`; the run context that is passed down
(data set, size, device, models and results folders) is :mod:`seplib.run`. This module
imports nothing else from seplib.

Taught in: 00_getting_started
"""
from __future__ import annotations

import contextlib
import os
import random
import sys
from pathlib import Path

import numpy as np

SIZES = ("quick", "lab", "full")
"""Run sizes: ``quick`` (CI, a minute per notebook), ``lab`` (a CPU class lab),
``full`` (a GPU: the whole lesson)."""

MODELS_FROM = ("train", "shipped")
"""Where a lesson's networks come from: ``train`` (trained in the notebook, resuming a stopped run)
or ``shipped`` (the trained models that ship inside the package: nothing is trained)."""

REPO_URL = "https://github.com/seplib/seplib-workbook"
"""The one place the repository address is written (README badges and Colab cells use it)."""


def device():
    """The best torch device here: CUDA, then Apple's MPS, then the CPU.

    Returns:
        device (torch.device)

    Taught in: 00_getting_started
    """
    import torch

    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def run_size():
    """The run size: ``$SEPLIB_SIZE`` if set (a notebook sets it with :func:`setup_run`),
    else ``lab`` on a CPU and on Colab, ``full`` on any other GPU.

    Colab gets ``lab`` even with a GPU: the whole ``full`` curriculum does not fit one Colab
    session on its T4 (README, "How long things take"); ``lab`` does, with time to spare.

    Returns:
        size (str): one of :data:`SIZES`

    Taught in: 00_getting_started
    """
    size = os.environ.get("SEPLIB_SIZE")
    if size:
        size = size.strip().lower()
        if size not in SIZES:
            raise ValueError(f"SEPLIB_SIZE={size!r} is not one of {SIZES}")
        return size
    if "google.colab" in sys.modules:
        return "lab"
    return "full" if device().type == "cuda" else "lab"


def size_of(size=None, run=None):
    """The run size in force, decided in this one place: ``size`` if given, else the run
    context's (``run.size``), else :func:`run_size` (the environment's).

    Args:
        size (str or None): a run size asked for
        run (:class:`seplib.run.Run` or None): the run context

    Returns:
        size (str): the size's name (what it holds is :mod:`seplib.sizes`' to say, and to refuse)
    """
    size = size or (run.size if run is not None else None) or run_size()
    return str(size).strip().lower()


def models_from():
    """Where the lessons' networks come from: ``$SEPLIB_MODELS_FROM`` (a notebook sets it with
    :func:`setup_run`), else ``train``.

    Returns:
        choice (str): ``"train"`` (train here) or ``"shipped"`` (use the models shipped with seplib)

    Taught in: 05_unet
    """
    choice = os.environ.get("SEPLIB_MODELS_FROM", "train").strip().lower() or "train"
    if choice not in MODELS_FROM:
        raise ValueError(f"SEPLIB_MODELS_FROM={choice!r} is not one of {MODELS_FROM}")
    return choice


def setup_run(size=None, keep_on_drive=False, models=None, data=None):
    """Choose this notebook's run size (and, on Colab, where its work is kept); say what was chosen.

    Every notebook calls this near its top, so the run size is picked in the notebook itself
    rather than only by an environment variable set before Jupyter starts.

    Args:
        size (str or None): ``"quick"``, ``"lab"`` or ``"full"``; ``None`` keeps ``$SEPLIB_SIZE``,
            else the default of :func:`run_size`
        keep_on_drive (bool): on Colab, keep data, models and scores in Google Drive
            (:func:`seplib.colab.keep_work_on_drive`), so a recycled runtime resumes from there
        models (str or None): ``"train"`` (the lessons train their networks) or ``"shipped"``
            (they use the trained models that ship with seplib); ``None`` keeps
            ``$SEPLIB_MODELS_FROM``, else ``train`` (:func:`models_from`)
        data (str or None): the songs the lessons train and score on: ``None`` keeps
            ``$MUSDB_PATH`` (else the synthetic set); ``"synthetic"`` the synthetic set;
            ``"previews"`` musdb's 7-second excerpts of MUSDB18 (real music, downloaded once:
            needs the internet); or a MUSDB18 / MUSDB18-HQ folder. The real song that ships with
            musdb is played and scored in every lesson whichever is chosen.

    Returns:
        size (str): the run size in force

    Taught in: 00_getting_started
    """
    if size is not None:
        size = str(size).strip().lower()
        if size not in SIZES:
            raise ValueError(f"run size {size!r} is not one of {SIZES}")
        os.environ["SEPLIB_SIZE"] = size
    if models is not None:
        models = str(models).strip().lower()
        if models not in MODELS_FROM:
            raise ValueError(f"models {models!r} is not one of {MODELS_FROM}")
        os.environ["SEPLIB_MODELS_FROM"] = models
    if data is not None:
        data = str(data).strip()
        if data.lower() == "synthetic":
            os.environ.pop("MUSDB_PATH", None)
        elif data.lower() == "previews":
            os.environ["MUSDB_PATH"] = "previews"
        elif not Path(data).expanduser().is_dir():
            raise ValueError(f"data={data!r}: not 'synthetic', 'previews', nor a MUSDB18 folder that exists")
        else:
            os.environ["MUSDB_PATH"] = str(Path(data).expanduser().resolve())
    if keep_on_drive:
        from .colab import keep_work_on_drive

        keep_work_on_drive()
    size = run_size()
    where = data_dir()
    root = repo_root()
    if root is not None and where.resolve().is_relative_to(root.resolve()):
        where = where.resolve().relative_to(root.resolve())  # "data", not this machine's full path
    trained = {"train": "trained here", "shipped": "the ones shipped with seplib"}[models_from()]
    songs = os.environ.get("MUSDB_PATH") or "synthetic"
    print(f"device: {device()}, run size: {size}, songs: {songs}, networks: {trained}, work kept in: {where}")
    return size


def seed_everything(seed=0):
    """Seed Python, NumPy and torch (CPU and GPU) so that a run repeats exactly.

    Args:
        seed (int): the seed

    Returns:
        seed (int): the same seed, for logging

    Taught in: 05_unet
    """
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    return seed


def repo_root():
    """The workbook checkout this package lives in, or ``None`` for an installed copy."""
    here = Path(__file__).resolve().parent.parent
    return here if (here / "notebooks").is_dir() else None


def notebooks(names=(), folder=None):
    """The lesson notebooks ``NN_topic.ipynb``, in order; only those named when ``names`` is given.

    Args:
        names (iterable of str): notebook names or number prefixes (``"05"``, ``"05_unet"``)
        folder (str or Path): where to look (default: the checkout's ``notebooks/``)

    Returns:
        paths (list of Path)

    Raises:
        SystemExit: a name that matches no notebook, or more than one
    """
    folder = Path(folder) if folder is not None else repo_root() / "notebooks"
    every = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    found = []
    for name in names or ():
        match = [p for p in every if p.stem == name or p.stem.startswith(f"{name}_")]
        if len(match) != 1:
            raise SystemExit(f"no single notebook in {folder} matches {name!r}")
        found += match
    return found if names else every


def data_dir():
    """Where data sets live: ``$SEPLIB_DATA``, else ``<repo>/data``, else ``~/seplib_data``.

    Returns:
        path (Path)

    Taught in: 00_getting_started
    """
    if os.environ.get("SEPLIB_DATA"):
        return Path(os.environ["SEPLIB_DATA"]).expanduser()
    root = repo_root()
    return root / "data" if root is not None else Path.home() / "seplib_data"


def results_dir():
    """Where scores are stored: ``$SEPLIB_RESULTS``, else ``<data_dir>/results``."""
    if os.environ.get("SEPLIB_RESULTS"):
        return Path(os.environ["SEPLIB_RESULTS"]).expanduser()
    return data_dir() / "results"


_HELD = set()
"""File descriptors of the locks this process holds (:func:`locked`)."""


def _close_inherited_locks():
    """In a forked child (a pool worker): let go of the parent's locks.  A lock taken with
    ``flock`` belongs to the open file, which a fork shares: a worker that outlived a parent
    killed with ``kill -9`` would otherwise hold the parent's lock forever."""
    for fd in list(_HELD):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_inherited_locks)


def die_with_parent():
    """Make this process end when its parent does (Linux; elsewhere nothing): the initializer of
    seplib's worker pools, so that a parent killed with ``kill -9`` leaves no workers running."""
    import signal

    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the call
        os._exit(1)


MALLOC_THRESHOLDS = {"MALLOC_MMAP_THRESHOLD_": 1 << 30, "MALLOC_TRIM_THRESHOLD_": (1 << 31) - 1}
"""glibc's thresholds that :func:`keep_freed_memory` sets (bytes): blocks up to 1 GiB come from the
heap instead of fresh pages, and up to 2 GiB of freed heap stays in the process."""


def keep_freed_memory():
    """Let this process keep and reuse the large buffers it frees (glibc on Linux; elsewhere nothing).

    PyTorch frees and allocates tensors of tens of megabytes at every training step and every
    chunk it separates. By default glibc gives each one back to the system when it is freed, and
    the next one must be faulted in again, page by page. Keeping them in the process made the
    shipped U-Net separate about a third cheaper and a ``lab`` U-Net training step a quarter to a
    third cheaper (README, "How long things take"). The price: the process holds on to its peak memory
    until it ends, or until :func:`give_back_freed_memory`. So the ``seplib`` command, which ends
    when its work is done, calls this, and so does training (:func:`seplib.train.fit`), the
    heaviest work a notebook does, which hands the memory back when it ends. The setting lasts
    as long as the process: a notebook's kernel keeps freed memory after its first training. The
    environment variables of :data:`MALLOC_THRESHOLDS`, when set, win: then nothing is changed.

    Returns:
        kept (bool): whether the thresholds were set here
    """
    mallopt = _glibc("mallopt")
    if mallopt is None or any(k in os.environ for k in MALLOC_THRESHOLDS):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's <malloc.h>
    return bool(mallopt(m_mmap_threshold, MALLOC_THRESHOLDS["MALLOC_MMAP_THRESHOLD_"])
                and mallopt(m_trim_threshold, MALLOC_THRESHOLDS["MALLOC_TRIM_THRESHOLD_"]))


def give_back_freed_memory():
    """Hand the freed memory this process kept back to the system (glibc's ``malloc_trim``; on
    Linux only, elsewhere nothing).

    :func:`seplib.train.fit` calls it when it ends: a notebook that trains one network after
    another (notebook 05's ablations) then holds about one training's memory, not the sum of the
    pieces each one left behind. The thresholds :func:`keep_freed_memory` set stay as they are.

    Returns:
        given_back (bool): whether any memory went back
    """
    malloc_trim = _glibc("malloc_trim")
    return malloc_trim is not None and bool(malloc_trim(0))


def _glibc(name):
    """The C function ``name`` of glibc, or ``None`` where there is none (not Linux; musl, say)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return getattr(ctypes.CDLL("libc.so.6"), name)
    except (OSError, AttributeError):
        return None


def _lock_holders(lock_file):
    """The processes holding a lock on ``lock_file`` (from ``/proc/locks``; ``[]`` where unknown)."""
    try:
        st = os.stat(lock_file)
        wanted = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
        with open("/proc/locks") as f:
            return sorted({int(line.split()[4]) for line in f
                           if len(line.split()) > 5 and line.split()[5] == wanted and "->" not in line})
    except (OSError, ValueError, IndexError):
        return []


def online(host="github.com", timeout=3.0):
    """Whether the internet can be reached (``False`` at once if ``$SEPLIB_OFFLINE`` is set).

    Cells that need a download (musdb previews, pretrained models) call this first and skip
    with one line when it says no.

    Taught in: 00_getting_started
    """
    import socket  # stdlib, only when asked

    if os.environ.get("SEPLIB_OFFLINE"):
        return False
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def models_dir(dataset):
    """Where a data set's trained models (and NMF dictionaries) are kept: the one place that decides.

    One folder per data set (``synth-quick``, ``synth-lab``, a MUSDB folder's name), so a model
    trained at one run size or on one data set is never resumed on another; a model's run is the
    subfolder of its name, holding :data:`seplib.models.checkpoint.BEST` and ``LAST``.

    Args:
        dataset (str): a data set's short name (:func:`seplib.data.dataset_name`)

    Returns:
        path (Path): ``$SEPLIB_MODELS/<dataset>`` if set, else ``<data_dir>/models/<dataset>``
    """
    base = os.environ.get("SEPLIB_MODELS")
    return (Path(base).expanduser() if base else data_dir() / "models") / dataset


@contextlib.contextmanager
def locked(lock_file, what=None):
    """Hold an exclusive lock on ``lock_file`` (made if missing) while the block runs.

    Two notebooks (or two test workers) that train the same model or write the same data
    set take turns instead of writing over each other; the second then finds the first's
    finished work and reuses it. A no-op where file locks are not available.

    A lock is the kernel's (``flock``): it goes with the process that holds it, ``kill -9``
    included, and worker processes forked while it is held do not keep it.  A command that has
    to wait says, once, what it waits for and which process holds the lock.

    Args:
        lock_file (str or Path): the lock's file (its content: the holder's process number)
        what (str): what the lock guards, for the waiting message (default: the file's name)
    """
    lock_file = Path(lock_file)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; carry on unlocked
        yield
        return
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
    _HELD.add(fd)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _wait_for(fd, lock_file, what)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {' '.join(sys.argv)[:200]}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        _HELD.discard(fd)
        os.close(fd)


def _wait_for(fd, lock_file, what):
    """Block until the lock is ours, saying once (on stderr) what we wait for and who holds it."""
    import fcntl
    import time

    try:
        said = os.pread(fd, 300, 0).decode(errors="replace").split()
    except OSError:
        said = []
    holder = f"process {said[0]}" + (f" ({' '.join(said[1:])[:120]})" if len(said) > 1 else "") if said else \
        "another process"
    holders = _lock_holders(lock_file)
    if said and said[0].isdigit() and holders and int(said[0]) not in holders:
        holder = (f"process(es) {', '.join(map(str, holders))}, left running by process {said[0]}, which was "
                  f"stopped: end them (kill {' '.join(map(str, holders))}) to go on")
    print(f"waiting for {what or lock_file} ({lock_file}), held by {holder}; Ctrl-C stops waiting",
          file=sys.stderr, flush=True)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            time.sleep(0.5)
