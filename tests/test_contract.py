"""The extension contract of seplib/README.md: its toy model, dropped in as one file, passes the
generic model tests unchanged and trains and separates from the command line."""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from seplib import RATE, STEMS, methods, models, plugins

ROOT = Path(__file__).resolve().parent.parent


def toy_source():
    text = (ROOT / "seplib" / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 1, "seplib/README.md shows one worked model"
    return blocks[0]


@pytest.fixture()
def toy_module(tmp_path, monkeypatch):
    (tmp_path / "toy_mask.py").write_text(toy_source())
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "toy_mask"
    models.MODELS.pop("toy-mask", None)
    if "toy-mask" in methods.names():
        methods.unregister("toy-mask")
    sys.modules.pop("toy_mask", None)


def test_the_documented_toy_model_passes_the_generic_model_tests(tmp_path):
    (tmp_path / "toy_mask.py").write_text(toy_source())
    env = {**os.environ, "SEPLIB_PLUGINS": "toy_mask", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
                           str(ROOT / "tests" / "test_models.py"), "-k", "toy-mask"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    passed = int(re.search(r"(\d+) passed", done.stdout).group(1))
    assert passed >= 8 and "failed" not in done.stdout  # shapes, masks, chunks, gradients, overfitting, ...


def test_the_toy_model_trains_and_separates_from_the_command_line(toy_module, tiny_root, tmp_path, capsys):
    from seplib import cli

    run = tmp_path / "toy-run"
    cli.main(["--plugin", toy_module, "train", "toy-mask", "--size", "quick", "--root", str(tiny_root),
              "--out", str(run)])
    assert (run / "best.pt").is_file() and models.load(run / "best.pt", device="cpu").hparams["width"] == 4
    song = tmp_path / "song.wav"
    sf.write(song, (0.1 * np.random.default_rng(0).standard_normal((RATE, 2))).astype(np.float32), RATE)
    cli.main(["--plugin", toy_module, "separate", str(song), "--method", "toy-mask",
              "--checkpoint", str(run / "best.pt"), "--out", str(tmp_path / "stems")])
    assert sorted(p.stem for p in (tmp_path / "stems").glob("*.wav")) == sorted(STEMS)


def test_a_plugin_that_is_missing_or_broken_is_named_in_one_line(tmp_path, monkeypatch, capsys):
    from seplib import cli

    with pytest.raises(SystemExit, match="plugin 'no_such_module': no such module"):
        cli.main(["--plugin", "no_such_module", "methods"])
    (tmp_path / "broken_plugin.py").write_text("raise RuntimeError('half-written')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("SEPLIB_PLUGINS", "broken_plugin")
    with pytest.raises(ValueError, match="plugin 'broken_plugin' failed while importing: RuntimeError: half-written"):
        plugins.load()


def test_split_argv_takes_only_the_plugin_options():
    assert plugins.split_argv(["--plugin", "a", "--plugin=b", "train", "unet", "--steps", "3"]) == \
        (["a", "b"], ["train", "unet", "--steps", "3"])
