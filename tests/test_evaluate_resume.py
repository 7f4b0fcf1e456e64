"""An interrupted evaluation continues where it stopped; the scores equal an uninterrupted one."""
import json

import pytest

from seplib import data, metrics, separation
from seplib.metrics import store


@pytest.fixture
def test_split(tiny_root):
    tracks = data.open_dataset("test", root=tiny_root)
    assert len(tracks) >= 2
    return tracks


def interrupt_on(monkeypatch, seen):
    """Make ``separate`` stop (as Ctrl-C would) at the second song; record what it separates."""
    real = separation.separate

    def separate(method, mixture, rate, **kwargs):
        seen.append(mixture.shape)
        if len(seen) == 2:
            raise KeyboardInterrupt
        return real(method, mixture, rate, **kwargs)

    monkeypatch.setattr(separation, "separate", separate)


def test_an_interrupted_evaluation_continues_and_scores_as_one_run(test_split, tmp_path, monkeypatch, capsys):
    whole = metrics.evaluate("oracle-irm", test_split, dataset="whole", results_dir=tmp_path, progress=False)

    seen = []
    interrupt_on(monkeypatch, seen)
    with pytest.raises(KeyboardInterrupt):
        metrics.evaluate("oracle-irm", test_split, dataset="cut", results_dir=tmp_path, progress=False)
    path = store.scores_path("oracle-irm", "cut", tmp_path, checkpoint=None, tracks=test_split)
    assert not path.exists()                                   # no scores file of half the songs
    kept = store.read_partial(path, json.loads(store.partial_path(path).read_text().splitlines()[0]))
    assert list(kept) == [test_split[0].name]                 # the first song's scores were kept

    monkeypatch.undo()
    seen.clear()
    real = separation.separate
    monkeypatch.setattr(separation, "separate", lambda *a, **k: seen.append(1) or real(*a, **k))
    resumed = metrics.evaluate("oracle-irm", test_split, dataset="cut", results_dir=tmp_path, progress=False)
    assert "continuing an interrupted evaluation, 1 of" in capsys.readouterr().out
    assert len(seen) == len(test_split) - 1                    # the finished song was not separated again
    assert path.is_file() and not store.partial_path(path).exists()
    a = whole.sort_values(["track", "stem", "metric"]).reset_index(drop=True)
    b = resumed.sort_values(["track", "stem", "metric"]).reset_index(drop=True)
    assert (a[["track", "stem", "metric"]] == b[["track", "stem", "metric"]]).all().all()
    assert ((a.value - b.value).abs().fillna(0) <= 5e-5).all()   # the kept tracks: as stored, to 4 decimals
    stored = [json.loads(store.scores_path("oracle-irm", d, tmp_path, checkpoint=None, tracks=test_split)
                         .read_text())["scores"] for d in ("whole", "cut")]
    assert stored[0] == stored[1]                              # the same scores file as an uninterrupted run


def test_another_evaluation_does_not_reuse_the_partial_scores(test_split, tmp_path, monkeypatch):
    seen = []
    interrupt_on(monkeypatch, seen)
    with pytest.raises(KeyboardInterrupt):
        metrics.evaluate("oracle-irm", test_split, dataset="cut", results_dir=tmp_path, progress=False)
    monkeypatch.undo()
    path = store.scores_path("oracle-irm", "cut", tmp_path, checkpoint=None, tracks=test_split)
    header = json.loads(store.partial_path(path).read_text().splitlines()[0])
    assert store.read_partial(path, {**header, "backend": "museval"}) == {}   # another backend: start over
    # a line cut short by the interruption is dropped, the lines before it kept
    with open(store.partial_path(path), "a") as handle:
        handle.write('{"track": "half')
    assert list(store.read_partial(path, header)) == [test_split[0].name]


def test_stems_kept_as_rows_of_one_array_are_scored_without_a_copy():
    import numpy as np

    from seplib.metrics.evaluation import as_rows
    from seplib.metrics.protocol import stacked, track_scores

    rng = np.random.default_rng(0)
    stems = {s: (0.1 * rng.standard_normal((2, 44100))).astype(np.float32) for s in ("vocals", "drums", "bass", "other")}
    want = {s: x.copy() for s, x in stems.items()}
    rows = as_rows(stems)
    assert list(rows) == ["drums", "bass", "other", "vocals"]           # seplib's order
    assert all(np.array_equal(rows[s], want[s]) for s in want)
    one = stacked([rows[s] for s in rows])
    assert one is rows["drums"].base                                      # no copy
    swapped = stacked([rows["bass"], rows["drums"]])                      # not the rows in order: a copy
    assert swapped.base is None and np.array_equal(swapped[0], want["bass"])
    # the scores do not depend on how the stems are held
    est = {s: x + 0.05 * rng.standard_normal(x.shape).astype(np.float32) for s, x in want.items()}
    a = track_scores(want, est, 44100)
    b = track_scores(rows, as_rows(dict(est)), 44100)
    assert np.allclose(a.value.to_numpy(), b.value.to_numpy(), equal_nan=True)
