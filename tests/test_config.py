import os
import subprocess
import sys
import types

import pytest
import torch

from seplib import config


def test_run_size_from_env(monkeypatch):
    monkeypatch.setenv("SEPLIB_SIZE", "quick")
    assert config.run_size() == "quick"
    monkeypatch.setenv("SEPLIB_SIZE", "huge")
    with pytest.raises(ValueError, match="huge"):
        config.run_size()
    monkeypatch.delenv("SEPLIB_SIZE")
    assert config.run_size() == ("full" if torch.cuda.is_available() else "lab")


def test_seed_everything_repeats():
    config.seed_everything(3)
    a = torch.rand(4)
    config.seed_everything(3)
    assert torch.equal(a, torch.rand(4))


def test_paths_follow_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SEPLIB_DATA", str(tmp_path))
    monkeypatch.delenv("SEPLIB_RESULTS", raising=False)
    monkeypatch.delenv("SEPLIB_MODELS", raising=False)
    assert config.data_dir() == tmp_path
    assert config.results_dir() == tmp_path / "results"
    monkeypatch.delenv("MUSDB_PATH", raising=False)
    monkeypatch.setenv("SEPLIB_SIZE", "quick")
    assert config.device().type in ("cpu", "cuda", "mps")


def test_config_imports_nothing_else_from_seplib():
    import ast
    import inspect

    imported = [node.module for node in ast.walk(ast.parse(inspect.getsource(config)))
                if isinstance(node, ast.ImportFrom) and node.level > 0]
    assert set(imported) <= {"colab"}, imported  # not data: the old config -> data -> config circle is gone


def test_one_table_per_run_size():
    from seplib import sizes

    assert tuple(sizes.TABLE) == config.SIZES
    for size in config.SIZES:
        assert set(sizes.TABLE[size]) == set(sizes.PARTS)
    assert sizes.of("data", "quick") == dict(train=4, valid=1, test=2, seconds=8.0)
    copy = sizes.of("training", "lab")
    copy["steps"] = 1
    assert sizes.TABLE["lab"]["training"]["steps"] != 1  # a copy, not the table
    with pytest.raises(ValueError, match="run size must be one of"):
        sizes.of("data", "huge")
    with pytest.raises(ValueError, match="part must be one of"):
        sizes.of("hparams", "quick")


def test_locked_makes_writers_take_turns(tmp_path):
    import threading
    import time

    order = []

    def worker(name):
        with config.locked(tmp_path / "x.lock"):
            order.append(f"{name} in")
            time.sleep(0.2)
            order.append(f"{name} out")

    threads = [threading.Thread(target=worker, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


def test_setup_run_chooses_the_size_in_the_notebook(monkeypatch, capsys):
    monkeypatch.delenv("SEPLIB_SIZE", raising=False)
    assert config.setup_run("Quick") == "quick" and os.environ["SEPLIB_SIZE"] == "quick"
    assert "run size: quick" in capsys.readouterr().out
    assert config.setup_run(None) == "quick"  # None keeps what is set
    with pytest.raises(ValueError, match="'huge' is not one of"):
        config.setup_run("huge")


def test_colab_defaults_to_the_lab_size(monkeypatch):
    monkeypatch.delenv("SEPLIB_SIZE", raising=False)
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert config.run_size() == "lab"


KEEP = """
import numpy as np, sys
from seplib.config import keep_freed_memory
def rss():  # resident bytes, from /proc
    return int(open("/proc/self/statm").read().split()[1]) * 4096
kept = keep_freed_memory()
a = np.ones(200 * 2 ** 20 // 8)  # 200 MiB, touched
before = rss()
del a
print(kept, round((before - rss()) / 2 ** 20))
"""


GIVE_BACK = """
import numpy as np
from seplib.config import give_back_freed_memory, keep_freed_memory
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096
assert keep_freed_memory()
a = np.ones(200 * 2 ** 20 // 8)  # 200 MiB, touched
del a
kept = rss()
print(give_back_freed_memory(), round((kept - rss()) / 2 ** 20))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim: Linux only")
def test_kept_memory_goes_back_when_asked():
    base = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run([sys.executable, "-c", GIVE_BACK], capture_output=True, text=True, env=base)
    said, given_back = done.stdout.split()
    assert said == "True" and int(given_back) > 180, done.stdout + done.stderr  # the freed 200 MiB leave


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's thresholds: Linux only")
@pytest.mark.parametrize("env, kept", [({}, True), ({"MALLOC_TRIM_THRESHOLD_": "131072"}, False)])
def test_the_command_keeps_freed_memory_unless_glibcs_own_setting_is_given(env, kept):
    base = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run([sys.executable, "-c", KEEP], capture_output=True, text=True, env={**base, **env})
    said, given_back = done.stdout.split()
    assert said == str(kept), done.stderr
    # kept: the freed 200 MiB stay in the process, for the next tensor; otherwise they go back at once
    assert (int(given_back) < 20) if kept else (int(given_back) > 180), given_back
