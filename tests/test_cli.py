import json

import numpy as np
import pytest

from seplib import audio, data
from seplib.cli import main


def test_data_reuses_an_existing_set_and_refuses_a_foreign_folder(tiny_root, tmp_path, capsys):
    before = {p: p.stat().st_mtime_ns for p in tiny_root.rglob("*.wav")}
    main(["data", "--size", "quick", "--root", str(tiny_root)])
    assert capsys.readouterr().out.strip() == str(tiny_root)
    assert {p: p.stat().st_mtime_ns for p in tiny_root.rglob("*.wav")} == before
    (tmp_path / "mine.txt").write_text("my notes")
    with pytest.raises(SystemExit, match="not a seplib data set|not empty|refus"):
        main(["data", "--size", "quick", "--root", str(tmp_path)])
    assert (tmp_path / "mine.txt").read_text() == "my notes"


def test_separate_writes_one_wav_per_stem_and_never_overwrites(tiny_root, tmp_path, capsys):
    track = data.open_dataset("test", root=tiny_root)[0]
    song = tmp_path / "song.wav"
    audio.save(song, data.track_mixture(track)[:, :44100], 44100)
    out = tmp_path / "out"
    main(["separate", str(song), "--method", "mixture", "--out", str(out)])
    assert sorted(p.name for p in out.iterdir()) == ["bass.wav", "drums.wav", "other.wav", "vocals.wav"]
    np.testing.assert_allclose(audio.load(out / "vocals.wav")[0], audio.load(song)[0], atol=1 / 32768)
    with pytest.raises(SystemExit, match="not overwriting"):
        main(["separate", str(song), "--method", "mixture", "--out", str(out)])
    main(["separate", str(song), "--method", "mixture", "--out", str(out), "--force"])
    with pytest.raises(SystemExit, match="needs the true stems"):
        main(["separate", str(song), "--method", "oracle-irm", "--out", str(out)])
    with pytest.raises(SystemExit, match="unknown method"):
        main(["separate", str(song), "--method", "nope", "--out", str(tmp_path / "x")])
    with pytest.raises(SystemExit, match="hpss takes no checkpoint") as refused:
        main(["separate", str(song), "--method", "hpss", "--checkpoint", "x.pt", "--out", str(tmp_path / "x")])
    assert "\n" not in str(refused.value)  # one line
    assert not (tmp_path / "x").exists()


def test_methods_lists_name_family_stems_and_notebook(capsys):
    from seplib import methods

    main(["methods"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["name", "family", "stems", "notebook"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert list(rows) == methods.names()
    assert rows["hpss"].split() == ["hpss", "classical", "drums,", "other", "02_hpss"]
    assert rows["oracle-irm"].split()[1] == "oracle" and rows["unet"].split()[1] == "learned"


def test_train_offers_the_learned_methods(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    from seplib import methods

    assert "{" + ",".join(methods.names("learned")) + "}" in capsys.readouterr().out


def test_train_from_disk_learns_the_same_weights_as_from_memory(tiny_root, tmp_path, capsys):
    import torch

    weights = {}
    for load in ("memory", "disk"):
        main(["train", "conv1d", "--size", "quick", "--steps", "2", "--root", str(tiny_root),
              "--load", load, "--out", str(tmp_path / load)])
        assert f"checkpoints in {tmp_path / load}" in capsys.readouterr().out
        weights[load] = torch.load(tmp_path / load / "last.pt", weights_only=True)["model_state"]
    assert weights["memory"].keys() == weights["disk"].keys()
    assert all(torch.equal(weights["memory"][k], weights["disk"][k]) for k in weights["memory"])
    with pytest.raises(SystemExit):
        main(["train", "conv1d", "--load", "ram"])
    assert "invalid choice: 'ram'" in capsys.readouterr().err


def test_train_on_a_musdb_tree_uses_musdbs_own_validation_split(tiny_root, tmp_path, capsys):
    import os

    # a MUSDB18-HQ-layout tree without setup.yaml, its songs named as MUSDB18's: musdb's own
    # split puts 'Actions - One Minute Smile' in valid, the other song in train
    songs = sorted(p for p in (tiny_root / "train").iterdir() if p.is_dir())
    root = tmp_path / "MUSDB18HQ"
    for song, name in zip(songs, ["Actions - One Minute Smile", "A Classic Education - NightOwl"]):
        (root / "train" / name).mkdir(parents=True)
        for wav in song.glob("*.wav"):
            os.link(wav, root / "train" / name / wav.name)
    (root / "test").mkdir()
    assert [t.name for t in data.open_dataset("valid", root=root)] == ["Actions - One Minute Smile"]
    assert [t.name for t in data.open_dataset("train", root=root)] == ["A Classic Education - NightOwl"]
    main(["train", "conv1d", "--size", "quick", "--steps", "2", "--root", str(root), "--load", "disk",
          "--out", str(tmp_path / "run")])
    assert "trained conv1d" in capsys.readouterr().out and (tmp_path / "run" / "best.pt").is_file()


def test_evaluate_prints_a_table_and_writes_the_json(tiny_root, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEPLIB_RESULTS", str(tmp_path / "results"))
    out = tmp_path / "irm.json"
    main(["evaluate", "--method", "oracle-irm", "--root", str(tiny_root), "--json", str(out)])
    printed = capsys.readouterr().out
    assert "vocals" in printed and "SDR" in printed
    result = json.loads(out.read_text())
    assert result["method"] == "oracle-irm" and result["split"] == "test" and result["tracks"] == 2
    assert set(result["stems"]) == {"drums", "bass", "other", "vocals"}
    for scores in result["stems"].values():
        assert set(scores) == {"SDR", "SIR", "SAR", "ISR"}
        assert scores["SDR"] > 3  # an oracle is far above the mixture's floor
    with pytest.raises(SystemExit, match="not overwriting"):
        main(["evaluate", "--method", "mixture", "--root", str(tiny_root), "--json", str(out)])


def test_evaluate_passes_the_run_of_its_size_down_to_the_method(tiny_root, tmp_path, monkeypatch, capsys):
    from seplib import methods

    monkeypatch.setenv("SEPLIB_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("SEPLIB_SIZE", "lab")  # the environment says lab; --size quick wins
    seen = []

    def floor_seeing_the_run(mixture, rate, run=None):
        seen.append(run)
        return {"vocals": mixture}

    methods.register("test-run-floor", floor_seeing_the_run, family="floor", stems=("vocals",), takes_run=True)
    try:
        main(["evaluate", "--method", "test-run-floor", "--size", "quick", "--root", str(tiny_root)])
    finally:
        methods.unregister("test-run-floor")
    assert "vocals" in capsys.readouterr().out
    assert seen and all(run.size == "quick" and run.root == str(tiny_root) for run in seen)


def test_the_command_keeps_freed_memory_and_main_called_from_python_does_not(monkeypatch, capsys):
    from seplib import config

    calls = []
    monkeypatch.setattr(config, "keep_freed_memory", lambda: calls.append(1) or True)
    main(["methods"])  # called from Python: the caller's process is left as it was
    assert calls == []
    monkeypatch.setattr("sys.argv", ["seplib", "methods"])
    main()  # the command itself
    assert calls == [1]
    assert "unet" in capsys.readouterr().out
