"""The benchmark scripts that README cites keep working (their cheap parts)."""
import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load(name):
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebooks_are_found_by_number():
    # config.notebooks serves the notebook timer, the book and the solutions alike
    from seplib import config

    timer = load("notebooks")
    assert [p.stem for p in config.notebooks(["05", "00_getting_started"])] == ["05_unet", "00_getting_started"]
    assert len(config.notebooks()) == len(list(timer.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))) >= 9
    with pytest.raises(SystemExit, match="'99'"):
        config.notebooks(["99"])


def test_notebook_timer_keeps_printed_text_only():
    timer = load("notebooks")
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="SDR 4.2 dB\n"),
        nbformat.v4.new_output("display_data", data={"text/plain": "<IPython.lib.display.Audio object>",
                                                     "text/html": "<audio/>"}),
        nbformat.v4.new_output("execute_result", data={"text/plain": "   drums\nunet  7.5"}, execution_count=1),
        nbformat.v4.new_output("error", ename="AssertionError", evalue="too low", traceback=[]),
    ]
    assert timer.cell_text(cell) == "SDR 4.2 dB\n   drums\nunet  7.5\nAssertionError: too low\n"


def test_training_cost_grows_with_the_run_size():
    cost = load("train_cost")
    plan, params, quick = cost.step_flops("conv1d", "quick")
    _, params_lab, lab = cost.step_flops("conv1d", "lab")
    assert plan["steps"] > 0 and 0 < params < params_lab
    assert 0 < quick < lab
    assert cost.step_seconds("conv1d", "quick", steps=2) > 0  # one real optimizer step, timed


def test_notebook_timer_reports_peak_memory(tmp_path):
    timer = load("notebooks")
    path = tmp_path / "00_memory.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("block = b\"x\" * (64 * 2**20)")])
    nbformat.write(nb, path)
    record = timer.run(path, cell_timeout=120)
    assert record["error"] is None
    assert record["peak_rss_mib"] >= 64  # the block, plus the kernel itself
    assert record["cpu_seconds"] > 0


def test_process_tree_memory_without_psutil():
    import os

    timer = load("notebooks")
    rss, cpu = timer._proc_tree_usage(os.getpid())
    assert rss > 0 and cpu > 0
    assert timer._proc_tree_usage(2**22 + 12345) == (0, 0.0)  # no such process


def test_data_scale_trees_share_songs_and_measure_memory_and_chunks(tmp_path, monkeypatch):
    import sys

    import numpy as np

    from seplib.data import open_dataset, synth

    def noise_song(seed, seconds, rate=44100):  # make_song is tested elsewhere; here only the plumbing
        rng = np.random.default_rng(seed)
        return {s: rng.uniform(-0.1, 0.1, (2, int(seconds * rate))) for s in ("drums", "bass", "other", "vocals")}, \
            {"rate": rate}

    monkeypatch.setattr(synth, "make_song", noise_song)
    scale = load("data_scale")
    pool = scale.write_pool(tmp_path, songs=2, minutes=0.05, workers=1, progress=False, song_seconds=1.0)
    one, two = scale.tree(pool, 1), scale.tree(pool, 2)
    assert [t.name for t in open_dataset("train", root=two)] == scale.pool_names(2)[0]
    assert [t.name for t in open_dataset("valid", root=one)] == scale.pool_names(1)[1]  # musdb's split, setup.yaml
    song = scale.pool_names(1)[0][0]
    assert (one / "train" / song / "mixture.wav").stat().st_ino == (pool / song / "mixture.wav").stat().st_ino
    assert len(open_dataset("train", root=one)[0]) == round(0.05 * 60 * 44100)  # tiled to the length
    rate, cpu_rate = scale.chunk_rate(two, workers=0, batches=2, batch_size=2, seconds=0.25)
    assert rate > 0 and cpu_rate > 0
    row = scale.peak_rss([sys.executable, "-c", "block = bytearray(300 * 2**20); print('done')"])
    assert row["status"] == 0 and row["tail"] == "done" and row["peak_gib"] >= 300 / 1024


def test_separation_speed_times_a_method_in_its_own_process(tmp_path):
    speed = load("separation_speed")
    song = speed.write_song(tmp_path / "song.npz", 2.0)
    unet = speed.measure("unet", song, "quick", repeat=1)
    assert unet["uses"] == "shipped checkpoint" and unet["audio_seconds"] == 2.0
    assert unet["seconds"] > 0 and unet["cpu_rtf"] == round(unet["cpu_seconds"] / 2.0, 4)
    assert "| unet | cpu |" in speed.table([unet]) and speed.bars([unet])[0].startswith("unet: real-time factor")
    # as the seplib command does, the process keeps the memory it frees (glibc on Linux), unless told not to
    assert unet["freed_memory"] == ("kept" if sys.platform.startswith("linux") else "given back")
    assert speed.measure("unet", song, "quick", repeat=1, keep=False)["freed_memory"] == "given back"


def test_evaluate_long_scores_a_whole_song_in_its_own_process(tmp_path):
    long = load("evaluate_long")
    root = long.write_tree(0.2, tmp_path / "tree")
    assert long.write_tree(0.2, tmp_path / "tree") == root            # written once, then reused
    row = long.measure("oracle-irm", root)
    assert row["peak_gib"] > row["before_gib"] > 0 and row["seconds"] > 0
    assert row["sdr"]["vocals"] > 5                                   # the oracle separates the tiled song
    assert not list(root.rglob("*.partial"))


def test_long_song_oracles_read_their_stems_from_a_wav_track():
    long_song = load("long_song")
    row = long_song.measure("oracle-irm", 0.05)  # 3 s, in a fresh process, as the benchmark runs it
    assert "error" not in row, row
    assert row["references"] == "files" and row["peak_gib"] > 0 and row["cpu_seconds"] >= 0


def test_repet_reach_prints_each_reach_beside_the_whole_song(capsys):
    import json

    load("repet_reach").main(["--songs", "1", "--minutes", "0.1", "--reach", "2"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert set(lines[0]) == {"song", "minutes", "whole", "2 s"}
    assert set(lines[0]["whole"]) == {"cpu_seconds", "vocals", "accompaniment"}
    assert "2 s" in lines[-1]["mean SDR difference from the whole song (dB)"]


def test_variants_keep_each_checkpoint_and_never_overwrite_one(tmp_path, capsys):
    import json

    from seplib import models

    variants = load("variants")
    keep = tmp_path / "kept"
    variants.main(["--size", "quick", "--variants", "default", "--tracks", "1", "--keep", str(keep)])
    scores = json.loads(capsys.readouterr().out)["variants"]["default"]["SDR"]
    assert set(scores) == {"drums", "bass", "other", "vocals"}
    assert models.load(keep / "default.pt", device="cpu", name="unet").stems == ("drums", "bass", "other", "vocals")
    before = (keep / "default.pt").read_bytes()
    with pytest.raises(SystemExit):  # refused before any training
        variants.main(["--size", "quick", "--variants", "default", "--keep", str(keep)])
    assert "default.pt already there" in capsys.readouterr().err
    assert (keep / "default.pt").read_bytes() == before
    with pytest.raises(SystemExit):
        variants.main(["--size", "quick", "--variants", "default", "--keep", str(keep / "default.pt")])
    assert "not a folder" in capsys.readouterr().err
