"""Bad or edge inputs for the results store and the scores: nothing replaced silently, no
score missing without a reason, mono stems scored as museval scores them."""
import hashlib
import json
import types

import numpy as np
import pandas as pd
import pytest

from seplib import metrics

STEMS = ("drums", "bass", "other", "vocals")


def digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.json"))}


def rows(value, tracks=("a", "b")):
    return pd.DataFrame([{"track": t, "stem": s, "metric": "SDR", "value": value} for t in tracks for s in STEMS])


def tracks_in(root, names=("a", "b")):
    return [types.SimpleNamespace(name=n, subset="test", duration=8.0, path=str(root / "test" / n / "mixture.wav"))
            for n in names]


def test_second_checkpoint_adds_a_row(tmp_path):
    first, second = tmp_path / "run1" / "best.pt", tmp_path / "run2" / "best.pt"
    for path, text in ((first, b"one"), (second, b"two")):
        path.parent.mkdir()
        path.write_bytes(text)
    tracks = tracks_in(tmp_path / "synth")
    a = metrics.save_scores("unet", "d", rows(1.0), tmp_path, checkpoint=first, tracks=tracks)
    before = digest(a.parent)
    b = metrics.save_scores("unet", "d", rows(5.0), tmp_path, checkpoint=second, tracks=tracks)
    assert a != b and digest(a.parent).items() >= before.items()       # the first run is untouched
    board = metrics.leaderboard("d", results_dir=tmp_path, runs=True)
    assert len(board) == 2
    short = {f"best.pt@{hashlib.sha256(t).hexdigest()[:8]}" for t in (b"one", b"two")}
    assert set(board["checkpoint"]) == short and set(board["data"]) == {"d"}
    assert any(label.startswith("unet [best.pt@") for label in board.index)


def test_same_folder_name_other_tree_adds_a_row(tmp_path):
    one, two = tracks_in(tmp_path / "x" / "synth-quick"), tracks_in(tmp_path / "y" / "synth-quick")
    p1 = metrics.save_scores("mixture", "synth-quick", rows(1.0), tmp_path, tracks=one)
    p2 = metrics.save_scores("mixture", "synth-quick", rows(2.0), tmp_path, tracks=two)
    assert p1 != p2 and p1.is_file() and p2.is_file()
    assert json.loads(p1.read_text())["data"]["root"] == str((tmp_path / "x" / "synth-quick").resolve())
    assert len(metrics.leaderboard("synth-quick", results_dir=tmp_path)) == 2


def test_same_run_again_replaces_its_own_row(tmp_path):
    tracks = tracks_in(tmp_path / "synth")
    p1 = metrics.save_scores("mixture", "d", rows(1.0), tmp_path, tracks=tracks)
    p2 = metrics.save_scores("mixture", "d", rows(3.0), tmp_path, tracks=tracks)
    assert p1 == p2 and len(list(p1.parent.glob("*.json"))) == 1
    assert metrics.leaderboard("d", results_dir=tmp_path).loc["mixture", "vocals"] == 3.0


def test_older_layout_is_still_read_and_reused(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    old = {"method": "nmf", "dataset": "d", "split": "test", "summary": {},
           "scores": [{"track": t, "stem": "vocals", "metric": "SDR", "value": 2.0} for t in ("a", "b")]}
    (folder / "nmf.json").write_text(json.dumps(old))
    before = digest(folder)
    board = metrics.leaderboard("d", results_dir=tmp_path, runs=True)
    assert board.loc["nmf", "vocals"] == 2.0 and "older layout" in board.loc["nmf", "data"]
    assert metrics.why_rescore("nmf", tracks_in(tmp_path / "synth"), "d", tmp_path) == ""
    assert digest(folder) == before


def test_retrained_checkpoint_is_rescored_and_the_old_row_kept(tmp_path):
    ckpt = tmp_path / "best.pt"
    ckpt.write_bytes(b"first training")
    tracks = tracks_in(tmp_path / "synth")
    first = metrics.save_scores("unet", "d", rows(1.0), tmp_path, checkpoint=ckpt, tracks=tracks)
    assert metrics.why_rescore("unet", tracks, "d", tmp_path, checkpoint=ckpt) == ""
    ckpt.write_bytes(b"trained again")
    assert metrics.why_rescore("unet", tracks, "d", tmp_path, checkpoint=ckpt) == "the model was trained again since"
    second = metrics.save_scores("unet", "d", rows(4.0), tmp_path, checkpoint=ckpt, tracks=tracks)
    assert first.is_file() and second.is_file() and first != second


def test_load_scores_of_a_labelled_run(tmp_path):
    tracks = tracks_in(tmp_path / "synth")
    for i in range(2):
        ckpt = tmp_path / f"c{i}.pt"
        ckpt.write_bytes(bytes([i]))
        metrics.save_scores("unet", "d", rows(float(i)), tmp_path, checkpoint=ckpt, tracks=tracks)
    board = metrics.leaderboard("d", results_dir=tmp_path)
    for label in board.index:
        assert metrics.load_scores("d", label, results_dir=tmp_path).value.iloc[0] == board.loc[label, "vocals"]


def test_a_foreign_file_in_the_store_is_named_not_a_traceback(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "notes.json").write_text("{not json")
    before = digest(folder)
    with pytest.raises(ValueError, match=r"notes\.json is not a seplib scores file") as err:
        metrics.leaderboard("d", results_dir=tmp_path)
    assert "\n" not in str(err.value) and digest(folder) == before


def test_a_file_of_another_method_is_not_replaced(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "good.json").write_text(json.dumps({"method": "bad", "dataset": "d"}))
    before = digest(folder)
    with pytest.raises(ValueError, match="good.json holds scores of 'bad'.*not overwriting"):
        metrics.save_scores("good", "d", rows(1.0), tmp_path)
    assert digest(folder) == before


def mono_sources(seconds=2.0, rate=44100, seed=0):
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    refs = np.stack([np.sin(2 * np.pi * f * t) * (0.5 + 0.5 * rng.random()) + 0.1 * rng.standard_normal(n)
                     for f in (110, 440, 1320)])[:, None]
    ests = 0.8 * refs + 0.1 * np.roll(refs, 1, axis=0) + 0.02 * rng.standard_normal(refs.shape)
    return refs, ests


@pytest.mark.parametrize("channels", [1, 2])
def test_fast_backend_scores_mono_stems_as_museval_does(channels):
    refs, ests = (np.repeat(x[:2], channels, 1) for x in mono_sources(1.5))   # 2: mono stored as L == R
    fast = metrics.bss_eval_v4(refs, ests, 44100, device="cpu")
    ref = metrics.museval_v4(refs, ests, 44100)
    for m in metrics.METRICS:
        assert np.isfinite(fast[m]).all(), m
        assert np.abs(fast[m] - ref[m]).max() < 0.05, m


def test_a_silent_reference_says_why_its_score_is_missing(tmp_path, monkeypatch):
    import seplib.data

    refs, _ = mono_sources(2.0)
    stems = {s: np.repeat(refs[i % 3], 2, 0).astype(np.float32) for i, s in enumerate(STEMS)}
    stems["vocals"] = np.zeros_like(stems["vocals"])                  # a song without a voice
    track = types.SimpleNamespace(name="Quiet - Song", rate=44100, subset="test", duration=2.0,
                                  path=str(tmp_path / "set" / "test" / "Quiet - Song" / "mixture.wav"))
    monkeypatch.setattr(seplib.data, "track_mixture", lambda tr: sum(stems.values()))
    monkeypatch.setattr(seplib.data, "track_stems", lambda tr: dict(stems))
    per_track = metrics.evaluate("oracle-irm", [track], dataset="set", results_dir=tmp_path, progress=False)
    why = "the reference is silent in every frame"
    assert per_track.attrs["missing"]["vocals"] == why
    summary = metrics.summary(per_track, "oracle-irm")
    assert summary["missing"]["vocals"] == why                        # the others: scored with it
    assert summary["missing"]["drums"] == "the reference of vocals (scored with it) is silent in every frame"
    json.dumps(summary, allow_nan=False)
    board = metrics.leaderboard("set", results_dir=tmp_path, runs=True)
    assert np.isnan(board.loc["oracle-irm", "vocals"]) and f"vocals: {why}" in board.loc["oracle-irm", "missing"]
