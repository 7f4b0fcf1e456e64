"""The Colab setup: installs seplib without touching torch, does nothing the second time,
fails in one line, and keeps work on Drive when asked; the setup cells are the same everywhere."""
import os
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest

from seplib import colab

ROOT = Path(__file__).resolve().parent.parent


class Runner:
    def __init__(self, returncode=0, stderr=""):
        self.calls, self.returncode, self.stderr = [], returncode, stderr

    def __call__(self, command, **kwargs):
        self.calls.append(command)
        return subprocess.CompletedProcess(command, self.returncode, "", self.stderr)


def checkout(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'seplib'\n")
    return tmp_path


def test_install_keeps_torch_and_runs_once(tmp_path):
    run = Runner()
    assert colab.install(checkout(tmp_path), run=run) is True
    assert colab.install(tmp_path, run=run) is False  # the cell run twice: nothing more to do
    command, no_deps = run.calls
    assert command[:4] == [sys.executable, "-m", "pip", "install"] and str(tmp_path) in command
    assert not any("torch" in part for part in command if part != str(tmp_path))
    assert no_deps[-2:] == ["--no-deps", "tinysoundfont"]


def test_a_failed_install_says_why_in_one_line(tmp_path):
    run = Runner(returncode=1, stderr="Collecting musdb\nERROR: No matching distribution found for musdb\n")
    with pytest.raises(SystemExit) as stop:
        colab.install(checkout(tmp_path), run=run)
    message = str(stop.value)
    assert "\n" not in message and "No matching distribution found for musdb" in message
    assert not (tmp_path / ".colab-installed").exists()  # so the next run tries again


def test_a_failed_clone_says_so(tmp_path):
    with pytest.raises(SystemExit, match="did the git clone fail"):
        colab.install(tmp_path / "missing", run=Runner())


def test_the_script_runs_with_the_standard_library_only(tmp_path):
    done = subprocess.run([sys.executable, "-S", "-I", str(ROOT / "seplib" / "colab.py"), str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "did the git clone fail" in done.stderr


def test_keep_work_on_drive(tmp_path, monkeypatch):
    monkeypatch.delenv("SEPLIB_DATA", raising=False)
    monkeypatch.setattr(colab, "DRIVE_MOUNT", str(tmp_path))
    mounted = []
    path = colab.keep_work_on_drive(mount=mounted.append)
    assert mounted == [str(tmp_path)] and path.is_dir() and os.environ["SEPLIB_DATA"] == str(path)
    from seplib import config
    from seplib.run import current

    assert current(size="quick").models_dir.is_relative_to(path) and config.results_dir().is_relative_to(path)


def test_keep_work_on_drive_outside_colab_changes_nothing(monkeypatch, capsys):
    monkeypatch.delenv("SEPLIB_DATA", raising=False)
    assert colab.keep_work_on_drive() is None and "SEPLIB_DATA" not in os.environ
    assert "not on Colab" in capsys.readouterr().out


def test_every_notebook_has_the_same_setup_cells():
    setups = {}
    for source in sorted((ROOT / "notebooks" / "py").glob("[0-9][0-9]_*.py")):
        cells = [c.source for c in jupytext.read(source).cells if c.cell_type == "code"]
        setups[source.stem] = tuple(cells[:2])
        assert "seplib/colab.py" in cells[0] and "config.setup_run(RUN_SIZE" in cells[1], source.name
    assert len(set(setups.values())) == 1, "the setup cells differ between notebooks"
