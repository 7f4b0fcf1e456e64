"""Writing a set of stems into a folder safely: checked before the work, moved in at once.

``seplib separate --out FOLDER`` writes its stems through :class:`StemFolder`: a folder that is
refused (a file, a link to nowhere, a folder another run is writing, a set of stems without
``--force``) is refused in one line before any separating; the stems appear all at once, and a
run that is stopped (Ctrl-C, a crash, the machine going down) leaves the old set or the new one,
never half of each. :data:`USER_ERRNOS` says in words what an operating-system error means.

Taught in: 00_getting_started
"""
from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

from . import methods
from .stems import STEMS

USER_ERRNOS = {errno.ENOSPC: "the disk is full", errno.EACCES: "permission denied",
               errno.EROFS: "the file system is read-only", errno.EDQUOT: "the disk quota is used up",
               errno.EPERM: "not permitted"}
"""Operating-system error numbers, in the words a message to the user gives them."""


def _stem_names():
    """Every stem name a method gives: a ``NAME.wav`` of one of these belongs to a set of stems."""
    return set(STEMS) | {s for m in methods.records() for s in m.stems}


def _alive(pid):
    """Whether the process numbered ``pid`` (a string, as read from a folder name) is running."""
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


JUNK = (".DS_Store", "Thumbs.db", "desktop.ini")
"""Files a file browser leaves in a folder: they do not make a folder of stems a folder of other files."""


def _resolve_out(out):
    """``--out`` as the folder written: a symbolic link is followed to its target, before the work;
    a dangling or looping link is refused in one line."""
    if not out.is_symlink():
        return out
    try:
        target = out.resolve(strict=True)
    except (OSError, RuntimeError) as err:
        loops = isinstance(err, RuntimeError) or getattr(err, "errno", None) == errno.ELOOP
        raise ValueError(f"--out {out} is a symbolic link to {os.readlink(out)}, which "
                         f"{'loops back on itself' if loops else 'does not exist'}: give a folder "
                         "(nothing was written)") from None
    if not target.is_dir():
        raise NotADirectoryError(f"--out {out} is a symbolic link to {target}, which is not a folder: give a "
                                 "folder for the stems")
    return target


def _lock_out(out):
    """Take the lock of ``--out`` (``.OUT.seplib-lock`` beside it) without waiting; ``(path, file)``.

    Raises:
        FileExistsError: another run holds it (its process number is named)
    """
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks
        return None
    path = out.with_name(f".{out.name}.seplib-lock")
    while True:
        handle = open(path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise FileExistsError(f"{out} is being written by another seplib separate ({holder}): wait for it to "
                                  "finish, or give another --out (nothing was written)") from None
        try:
            if os.fstat(handle.fileno()).st_ino == os.stat(path).st_ino:
                break
        except FileNotFoundError:
            pass
        handle.close()  # the holder removed the file as we took it: take the new one
    handle.seek(0)
    handle.truncate()
    handle.write(f"process {os.getpid()}")
    handle.flush()
    return path, handle


class StemFolder:
    """Where ``seplib separate`` writes a set of stems, checked before the work and filled atomically.

    The stems are written into a temporary folder first, then moved in: into a new ``--out``
    by one rename; over an existing set (``--force``) by swapping the folders, so that an
    interrupted run leaves the old set or the new one, never stems of two songs side by side.
    A folder that also holds other files gets the stems moved in beside them, one by one.

    The whole run holds a lock beside the folder (``.OUT.seplib-lock``), so a second run writing
    to the same folder is refused before it does any work; the leftovers of a run that was
    killed (a hidden half-written set, a hidden old set) are cleaned up or put back first.

    Use it in three steps::

        folder = StemFolder("stems", ("drums", "bass", "other", "vocals"), force=False)  # checks, locks
        try:
            for stem, audio in estimates.items():
                seplib.audio.save(folder.path(stem), audio, rate)    # into the temporary folder
            paths = folder.commit(list(estimates))                   # moved in at once
        except BaseException:
            folder.discard()                                         # nothing of this run is left
            raise

    Args:
        out (str or Path): the folder (``--out``); a symbolic link is followed to its folder
        stems (tuple): the stems the method gives
        force (bool): replace a set of stems already there (``--force``)

    Raises:
        ValueError: ``out`` is empty, a dangling or looping link, or cannot be written (one line
            naming why: permission, read-only, disk full)
        NotADirectoryError: ``out`` is a file (or a link to one), a device or a pipe
        FileExistsError: a set of stems is there (without ``force``), a set of stems sits among
            other files, or another run holds the lock (its process number is named)

    Taught in: 00_getting_started
    """

    def __init__(self, out, stems, force):
        if not str(out).strip():
            raise ValueError("--out is empty: give the folder the stems go in")
        self.out = out = _resolve_out(Path(out).expanduser())
        if out.exists() and not out.is_dir():
            what = "a file" if out.is_file() else "not a regular folder (a device, a pipe?)"
            raise NotADirectoryError(f"--out {out} is {what}: give a folder for the stems")
        # the whole run holds a lock beside --out: a second writer is refused here, before its work
        self.created = next((p for p in reversed([out.parent, *out.parent.parents]) if not p.exists()), None)
        self.lock = None
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            self.lock = _lock_out(out)
        except OSError as err:
            self._remove_created()
            what = USER_ERRNOS.get(err.errno, err.strerror or str(err))
            raise ValueError(f"--out {out}: cannot write in {out.parent} ({what})") from None
        except BaseException:
            self._remove_created()
            raise
        try:
            self._check(out, stems, force)
        except BaseException:
            self._release()
            self._remove_created()
            raise

    def _check(self, out, stems, force):
        self._recover()
        held = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
        names = _stem_names()
        self.old = [n for n in held if n.endswith(".wav") and n[:-4] in names]
        others = [n for n in held if n not in self.old and n not in JUNK and not n.startswith("._")]
        if self.old and not force:
            raise FileExistsError(f"not overwriting {', '.join(str(out / n) for n in self.old)} "
                                  "(use --force to replace that set of stems, or another --out)")
        if self.old and others:
            raise FileExistsError(f"{out} holds a set of stems and other files ({', '.join(others[:3])}): "
                                  "--force replaces a whole folder of stems; give a folder of their own")
        # swap whole folders where the folder holds nothing else (never the folder you stand in)
        self.swap = not others and (not out.exists() or out.resolve() != Path.cwd().resolve())
        self.swap = self.swap and not os.path.ismount(out)  # a mount point cannot be renamed: fill it
        beside = out.parent if self.swap else out
        try:  # the probe for an unwritable or read-only --out: the temporary folder, made before the work
            beside.mkdir(parents=True, exist_ok=True)
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.seplib-new-{os.getpid()}-", dir=beside))
        except OSError as err:
            self._remove_created()
            what = USER_ERRNOS.get(err.errno, err.strerror or str(err))
            raise ValueError(f"--out {out}: cannot write in {beside} ({what})") from None

    def _remove_created(self):
        if self.created is not None:
            shutil.rmtree(self.created, ignore_errors=True)

    def _recover(self):
        """Clean up after a run that was killed: put an old set back, remove half-written sets.

        A run stopped between the two renames of a swap left the old set in a hidden
        ``.OUT.seplib-old-PID`` folder; one killed while writing left a hidden
        ``.OUT.seplib-new-PID-*`` folder.  Folders of a process that is still running are left.
        """
        for folder in (self.out.parent, self.out):
            for new in folder.glob(f".{self.out.name}.seplib-new-*") if folder.is_dir() else []:
                pid = new.name.split("seplib-new-", 1)[1].split("-", 1)[0]
                if new.is_dir() and not _alive(pid):
                    shutil.rmtree(new, ignore_errors=True)
                    print(f"removed {new} (the half-written stems of a run that was stopped)")
        olds = [old for old in self.out.parent.glob(f".{self.out.name}.seplib-old-*")
                if not _alive(old.name.rsplit("-", 1)[1])] if self.out.parent.is_dir() else []
        if not self.out.exists() and olds:
            os.replace(olds.pop(0), self.out)
            print(f"put back {self.out} (a run was stopped while replacing it)")
        for old in olds:  # the new set was in place when the run stopped: the old copy goes
            shutil.rmtree(old, ignore_errors=True)
            print(f"removed {old} (the replaced stems of a run that was stopped)")

    def path(self, stem):
        """Where to write ``stem`` now: ``STEM.wav`` in the temporary folder (moved by :meth:`commit`)."""
        return self.tmp / f"{stem}.wav"

    def commit(self, stems):
        """Move the new set in and let go of the lock.

        Args:
            stems (list): the stems written with :meth:`path`

        Returns:
            paths (list of Path): ``out / STEM.wav``, one per stem
        """
        out = self.out
        if self.swap:  # the folder gets the mode of the one it replaces, else the umask's (not mkdtemp's 0700)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp, out.stat().st_mode & 0o7777 if out.is_dir() else 0o777 & ~umask)
        if self.swap and out.is_dir():
            old = out.with_name(f".{out.name}.seplib-old-{os.getpid()}")
            os.replace(out, old)
            os.replace(self.tmp, out)
            shutil.rmtree(old)
        elif self.swap:
            os.replace(self.tmp, out)
        else:  # a folder of the user's other files: the stems go in beside them
            for stem in stems:
                os.replace(self.tmp / f"{stem}.wav", out / f"{stem}.wav")
            for name in self.old:  # stems of the old set that the new one does not have
                if name[:-4] not in stems:
                    (out / name).unlink()
            self.tmp.rmdir()
        self._release()
        return [out / f"{stem}.wav" for stem in stems]

    def discard(self):
        """Give up: remove the temporary folder (and any folder made for ``out``), let go of the lock."""
        shutil.rmtree(self.tmp, ignore_errors=True)
        self._release()
        self._remove_created()

    def _release(self):
        if self.lock is not None:
            path, handle = self.lock
            self.lock = None
            path.unlink(missing_ok=True)  # while still held: a waiting writer then retries on a new file
            handle.close()
