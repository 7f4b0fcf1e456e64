"""Colab: install the workbook beside Colab's own torch, and keep your work on Google Drive.

This file uses the standard library only, so the notebooks' setup cell can run it as a script
before ``seplib``'s dependencies are installed::

    python seplib/colab.py /content/seplib-workbook     # installs seplib, keeps Colab's torch

Run twice, it installs nothing the second time. When an install fails it prints one line that
says what failed, and exits with status 1.

Taught in: 00_getting_started
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DRIVE_MOUNT = "/content/drive"
DRIVE_FOLDER = "MyDrive/seplib-workbook"
"""Where :func:`keep_work_on_drive` keeps data, models and scores, inside Google Drive."""


def install_command(repo_dir):
    """The pip command that installs seplib from a checkout without touching torch.

    ``pip install -e`` leaves an installed torch alone when it satisfies ``torch>=2.1`` (Colab's
    does); ``--upgrade-strategy only-if-needed`` (pip's default, spelled out) keeps it so.

    Args:
        repo_dir (str or Path): the workbook checkout

    Returns:
        command (list of str)
    """
    return [sys.executable, "-m", "pip", "install", "-q", "--upgrade-strategy", "only-if-needed",
            "-e", str(repo_dir)]


NO_DEPS = ("tinysoundfont",)
"""Installed with ``--no-deps`` after seplib: tinysoundfont's wheel asks for pyaudio, which only
live playback needs and which does not build without PortAudio."""


def install_no_deps_command():
    """The pip command that installs :data:`NO_DEPS` without their declared dependencies.

    Returns:
        command (list of str)
    """
    return [sys.executable, "-m", "pip", "install", "-q", "--no-deps", *NO_DEPS]


def install(repo_dir, run=subprocess.run):
    """Install seplib from ``repo_dir`` unless this runtime already has it from there.

    Args:
        repo_dir (str or Path): the workbook checkout
        run (callable): runs a command like :func:`subprocess.run` (a stand-in in the tests)

    Returns:
        installed (bool): ``False`` when there was nothing to do

    Raises:
        SystemExit: with one line saying what failed
    """
    repo_dir = Path(repo_dir)
    if not (repo_dir / "pyproject.toml").is_file():
        raise SystemExit(f"seplib setup: {repo_dir} is not a workbook checkout (no pyproject.toml); "
                         "did the git clone fail? Check the runtime's internet connection and run the cell again.")
    marker = repo_dir / ".colab-installed"
    if marker.is_file():
        return False
    for command, what in ((install_command(repo_dir), repo_dir), (install_no_deps_command(), " ".join(NO_DEPS))):
        done = run(command, capture_output=True, text=True)
        if done.returncode != 0:
            last = (done.stderr or done.stdout or "").strip().splitlines()
            raise SystemExit(f"seplib setup: pip could not install {what}: "
                             f"{last[-1] if last else 'exit status ' + str(done.returncode)}")
    marker.write_text("installed\n")
    return True


def keep_work_on_drive(folder=DRIVE_FOLDER, mount=None):
    """Mount Google Drive and keep seplib's data, models and scores there.

    After this, checkpoints and scores survive a recycled Colab runtime: run the notebook
    again (with this call) and training resumes from Drive. Without it, a recycled runtime
    starts over. Outside Colab this says so and changes nothing.

    Args:
        folder (str): the folder inside the mounted Drive
        mount (callable): mounts Drive at :data:`DRIVE_MOUNT` (default: ``google.colab.drive.mount``)

    Returns:
        path (Path or None): the folder now used as ``$SEPLIB_DATA``, or ``None`` outside Colab
    """
    if mount is None:
        if "google.colab" not in sys.modules:
            print("keep_work_on_drive: not on Colab, so nothing to mount; work stays in", _here())
            return None
        from google.colab import drive

        mount = drive.mount
    mount(DRIVE_MOUNT)
    path = Path(DRIVE_MOUNT) / folder
    path.mkdir(parents=True, exist_ok=True)
    os.environ["SEPLIB_DATA"] = str(path)
    return path


def _here():
    return os.environ.get("SEPLIB_DATA", "the workbook's data/ folder")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python seplib/colab.py REPO_DIR")
    install(sys.argv[1])
