"""Tests of seplib.metrics: SDR / SI-SDR, BSSEval v4 against museval, the MUSDB protocol, the store."""
import json
import types

import numpy as np
import pytest
import scipy.signal
import torch

from seplib import metrics

RATE = 44100


def sources(seconds, n_sources=4, rate=RATE, seed=0):
    """Music-like stereo references (band-limited noise and tones, with an envelope) and
    estimates that leak the next source, add noise and colour; stored as 16-bit audio is."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    refs = []
    for j in range(n_sources):
        b, a = scipy.signal.butter(2, [80 * (j + 1), min(700 * (j + 1) ** 1.5, 0.4 * rate)], "band", fs=rate)
        x = scipy.signal.lfilter(b, a, rng.standard_normal((2, n)), axis=-1)
        x += 0.3 * np.sin(2 * np.pi * 110 * (j + 1) * t) * [[1.0], [0.6]]
        refs.append(x * (0.6 + 0.4 * np.sin(2 * np.pi * t * (j + 1) / 3)))
    refs = np.array(refs)
    ests = 0.8 * refs + 0.15 * np.roll(refs, 1, axis=0) + 0.02 * rng.standard_normal(refs.shape)
    ests = scipy.signal.lfilter([1, 0.3], [1], ests, axis=-1)
    peak = 1.1 * max(np.abs(refs).max(), np.abs(ests).max())
    return [(np.round(x / peak * 32767) / 32767).astype(np.float32) for x in (refs, ests)]


def test_si_sdr_is_scale_invariant_and_sdr_is_not():
    refs, ests = sources(1.0, n_sources=1, rate=8000)
    ref, est = refs[0], ests[0]                                   # (channels, samples)
    assert np.allclose(metrics.si_sdr(3 * est, ref), metrics.si_sdr(est, ref), atol=1e-6)
    assert metrics.sdr(3 * est, ref) < metrics.sdr(est, ref) - 5
    assert metrics.si_sdr(est, ref).shape == (2,)                 # one value per channel
    assert np.ndim(metrics.sdr(est, ref)) == 0                    # one value per stereo signal
    # torch in, torch out, same numbers
    t = metrics.si_sdr(torch.from_numpy(est), torch.from_numpy(ref))
    assert isinstance(t, torch.Tensor) and np.allclose(t.numpy(), metrics.si_sdr(est, ref), atol=1e-3)


def test_perfect_estimate_scores_very_high():
    refs, _ = sources(1.0, n_sources=2, rate=8000)
    assert np.all(metrics.si_sdr(refs, refs) > 80)
    assert np.all(metrics.sdr(refs, refs) > 80)
    assert np.all(metrics.bss_eval_v4(refs, refs, rate=8000)["SDR"] > 80)


def test_silent_reference_gives_nan_not_inf():
    ref = np.zeros((2, 4000), np.float32)
    est = np.random.default_rng(0).standard_normal((2, 4000)).astype(np.float32)
    assert np.isnan(metrics.sdr(est, ref)) and np.all(np.isnan(metrics.si_sdr(est, ref)))
    refs, ests = sources(2.0, n_sources=2, rate=8000)
    refs[1] = 0                                                   # museval raises here
    scores = metrics.bss_eval_v4(refs, ests, rate=8000)
    assert all(np.isnan(v).all() for v in scores.values())
    assert np.isnan(metrics.museval_v4(refs, ests, rate=8000)["SDR"]).all()


def test_fast_bss_eval_matches_museval():
    refs, ests = sources(3.0, n_sources=3)
    fast = metrics.bss_eval_v4(refs, ests, RATE, device="cpu")
    ref = metrics.museval_v4(refs, ests, RATE)
    for m in ("SDR", "ISR", "SIR", "SAR"):
        assert fast[m].shape == ref[m].shape == (3, 3)
        assert np.abs(np.median(fast[m], 1) - np.median(ref[m], 1)).max() < 0.002, m
        assert np.abs(fast[m] - ref[m]).max() < 0.01, m
    # the v4 image SDR is the frame's plain SDR (no filters)
    one_s = slice(0, RATE)
    assert np.allclose(fast["SDR"][:, 0], [metrics.sdr(e[:, one_s], r[:, one_s], eps=0)
                                           for r, e in zip(refs, ests)], atol=1e-4)


def test_silent_frame_is_nan_and_aggregate_ignores_it():
    refs, ests = (x[:, :1] for x in sources(4.0, rate=8000))     # mono keeps it quick
    refs[3, :, 8000:16000] = 0                                    # vocals silent in frame 1
    references = dict(zip(("drums", "bass", "other", "vocals"), refs))
    estimates = dict(zip(("drums", "bass", "other", "vocals"), ests))
    scores = metrics.track_scores(references, estimates, rate=8000)
    assert list(scores.columns) == ["stem", "metric", "frame", "value"]
    frame1 = scores[scores.frame == 1]
    assert frame1.value.isna().all() and not scores[scores.frame != 1].value.isna().any()
    table = metrics.aggregate(scores.assign(track="song"))
    assert list(table.index) == ["drums", "bass", "other", "vocals"]
    assert list(table.columns) == list(metrics.METRICS)
    assert np.isfinite(table.values).all()
    drums_sdr = scores[(scores.stem == "drums") & (scores.metric == "SDR")].value
    assert np.isclose(table.loc["drums", "SDR"], np.nanmedian(drums_sdr))


def test_accompaniment_and_lone_stems():
    refs, ests = (x[:, :1] for x in sources(3.0, rate=8000, seed=1))
    stems = ("drums", "bass", "other", "vocals")
    references = dict(zip(stems, refs))
    accompaniment = refs[0] + refs[1] + refs[2]
    noise = 0.01 * np.random.default_rng(0).standard_normal(accompaniment.shape)
    estimates = {"vocals": ests[3], "accompaniment": accompaniment + noise}
    scores = metrics.track_scores(references, estimates, rate=8000)
    assert set(scores.stem) == {"vocals", "accompaniment"}
    table = metrics.aggregate(scores)
    assert table.loc["accompaniment", "SDR"] > 20                  # compared with drums + bass + other
    # a stem alone is scored against the rest of the mix, not dropped
    lone = metrics.track_scores(references, {"drums": ests[0]}, rate=8000)
    assert set(lone.stem) == {"drums"} and lone.value.notna().all()
    with pytest.raises(ValueError, match="no reference"):
        metrics.track_scores(references, {"piano": ests[0]}, rate=8000)


def per_track_scores(seed, tracks=("A", "B", "C")):
    rng = np.random.default_rng(seed)
    rows = [(t, s, m, float(rng.normal(seed, 1))) for t in tracks
            for s in ("drums", "bass", "other", "vocals") for m in metrics.METRICS]
    import pandas as pd
    return pd.DataFrame(rows, columns=["track", "stem", "metric", "value"])


def test_store_round_trip_and_leaderboard(tmp_path):
    good, bad = per_track_scores(10), per_track_scores(0)
    bad.loc[0, "value"] = np.nan
    path = metrics.save_scores("good", "synth-test", good, results_dir=tmp_path)
    assert path == tmp_path / "synth-test" / "good.json"
    metrics.save_scores("bad", "synth-test", bad, results_dir=tmp_path)
    metrics.save_scores("bad", "synth-test", bad, results_dir=tmp_path)   # a refresh is fine
    loaded = metrics.load_scores("synth-test", "bad", results_dir=tmp_path)
    assert np.allclose(loaded.value, bad.value, atol=1e-4, equal_nan=True)
    board = metrics.leaderboard("synth-test", results_dir=tmp_path)
    assert list(board.index) == ["good", "bad"]
    assert list(board.columns) == ["drums", "bass", "other", "vocals"]
    assert np.isclose(board.loc["good", "vocals"], metrics.aggregate(good).loc["vocals", "SDR"], atol=1e-4)
    # a file that belongs to another data set is never replaced
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "good.json").write_text(json.dumps({"method": "good", "dataset": "elsewhere"}))
    with pytest.raises(ValueError, match="not overwriting"):
        metrics.save_scores("good", "other", good, results_dir=tmp_path)
    with pytest.raises(ValueError, match="plain name"):
        metrics.save_scores("../x", "synth-test", good, results_dir=tmp_path)
    with pytest.raises(FileNotFoundError):
        metrics.load_scores("synth-test", "missing", results_dir=tmp_path)
    summary = metrics.summary(bad, "bad", "test")
    assert summary["tracks"] == 3 and set(summary["stems"]["vocals"]) == set(metrics.METRICS)
    json.dumps(summary, allow_nan=False)


def test_evaluate_oracle_beats_mixture(tmp_path, monkeypatch):
    import seplib.data

    refs, _ = sources(2.0, seed=2)
    stems = dict(zip(("drums", "bass", "other", "vocals"), refs))
    track = types.SimpleNamespace(name="Fake - Song", rate=RATE, subset="test", path="x")
    monkeypatch.setattr(seplib.data, "track_mixture", lambda tr: sum(stems.values()))
    monkeypatch.setattr(seplib.data, "track_stems", lambda tr: dict(stems))
    for method in ("mixture", "oracle-irm"):
        per_track = metrics.evaluate(method, [track], dataset="fake", results_dir=tmp_path, progress=False)
        assert set(per_track.columns) == {"track", "stem", "metric", "value"}
    board = metrics.leaderboard("fake", results_dir=tmp_path)
    assert list(board.index) == ["oracle-irm", "mixture"]
    assert (board.loc["oracle-irm"] > board.loc["mixture"] + 3).all()
    # keep=: the estimates it scored, to listen to afterwards, the same as separating again
    kept = {}
    metrics.evaluate("oracle-irm", [track], dataset="fake", results_dir=tmp_path, progress=False, keep=kept)
    again = seplib.separate("oracle-irm", sum(stems.values()), RATE, references=dict(stems))
    assert list(kept) == ["Fake - Song"] and set(kept["Fake - Song"]) == set(again)
    assert all(np.allclose(kept["Fake - Song"][s], again[s], atol=1e-6) for s in again)


def test_leaderboard_ranks_four_stem_methods_before_partial_ones(tmp_path):
    import pandas as pd

    from seplib import metrics

    def rows(scores):
        return pd.DataFrame([{"track": "t", "stem": s, "metric": "SDR", "value": v} for s, v in scores.items()])

    metrics.save_scores("good", "d", rows({"drums": 5, "bass": 5, "other": 5, "vocals": 5}), results_dir=tmp_path)
    metrics.save_scores("floor", "d", rows({"drums": -5, "bass": -5, "other": -5, "vocals": -5}), results_dir=tmp_path)
    metrics.save_scores("partial", "d", rows({"vocals": 9, "accompaniment": 9}), results_dir=tmp_path)
    assert list(metrics.leaderboard("d", results_dir=tmp_path).index) == ["good", "floor", "partial"]


def test_sounding_excerpt_skips_a_silent_start():
    rate, rng = 100, np.random.default_rng(0)
    refs = rng.standard_normal((2, 2, 10 * rate))
    refs[1, :, : 3 * rate + 50] = 0.0              # the second source enters at 3.5 s
    excerpt = metrics.sounding_excerpt(refs, rate, 2.0)
    assert (excerpt.start, excerpt.stop) == (3 * rate, 5 * rate)  # its first frame not all zeros
    scores = metrics.bss_eval_v4(refs[..., excerpt], refs[..., excerpt] + 0.1, rate)
    assert np.isfinite(scores["SDR"]).all()
    assert np.isnan(metrics.bss_eval_v4(refs[..., : 2 * rate], refs[..., : 2 * rate] + 0.1, rate)["SDR"]).all()
    assert metrics.sounding_excerpt(refs, rate, 1.5).stop == 3 * rate + 150
    with pytest.raises(ValueError, match="no 8.0 s excerpt in which all 2 references sound"):
        metrics.sounding_excerpt(refs, rate, 8.0)


def test_shared_references_give_the_same_scores_as_one_at_a_time():
    refs, ests = sources(2.0, n_sources=2, seed=3)
    other = (0.7 * ests + 0.2 * refs[[1, 0]]).astype(np.float32)        # a second "method"
    alone = [metrics.bss_eval_v4(refs, e, RATE, device="cpu") for e in (ests, other)]
    # one References, two estimates: G is factored on the first and reused on the second
    shared = metrics.References(refs, device="cpu")
    together = [shared.score(e, RATE) for e in (ests, other)]
    assert shared.factor_all[0] == "potrf"                # Cholesky by LAPACK, in place, on the CPU
    again = shared.score(ests, RATE)                  # the reuse path on the first estimate again
    for m in metrics.METRICS:
        for a, b in zip(alone, together):
            assert np.allclose(a[m], b[m], atol=1e-9, rtol=0), m
        assert np.allclose(again[m], alone[0][m], atol=1e-9, rtol=0), m
    assert not np.allclose(alone[0]["SIR"], alone[1]["SIR"], atol=0.1)   # really two methods
    # inside shared_references, track_scores keeps the track's References and reuses them
    stems = ("drums", "bass")
    references = dict(zip(stems, refs))
    from seplib.metrics import bsseval
    with metrics.shared_references():
        first = metrics.track_scores(references, dict(zip(stems, ests)), RATE, device="cpu")
        kept = list(bsseval._shared.held.values())
        second = metrics.track_scores(references, dict(zip(stems, other)), RATE, device="cpu")
        assert list(bsseval._shared.held.values()) == kept and len(kept) == 1
    assert bsseval._shared is None                    # released when the block ends
    for m in metrics.METRICS:
        assert np.allclose(first[first.metric == m].value, alone[0][m].ravel(), atol=1e-9), m
        assert np.allclose(second[second.metric == m].value, alone[1][m].ravel(), atol=1e-9), m
    # over the memory budget: scored all the same, just not kept
    with metrics.shared_references(max_gib=0.001):
        small = metrics.track_scores(references, dict(zip(stems, other)), RATE, device="cpu")
        assert not bsseval._shared.held
    assert np.allclose(small.value, second.value, atol=1e-9)


def test_mono_stems_agree_with_museval():
    refs, ests = (x[:, :1] for x in sources(3.0, n_sources=3, seed=4))
    fast = metrics.bss_eval_v4(refs, ests, RATE, device="cpu")
    ref = metrics.museval_v4(refs, ests, RATE)
    for m in metrics.METRICS:
        assert fast[m].shape == ref[m].shape == (3, 3)
        assert np.abs(np.median(fast[m], 1) - np.median(ref[m], 1)).max() < 0.01, m
        assert np.abs(fast[m] - ref[m]).max() < 0.05, m


def test_silent_reference_has_nan_scores_and_its_reason_with_shared_references():
    refs, ests = (x[:, :1] for x in sources(2.0, rate=8000, seed=5))
    stems = ("drums", "bass", "other", "vocals")
    references, estimates = dict(zip(stems, refs)), dict(zip(stems, ests))
    references["vocals"] = np.zeros_like(references["vocals"])          # no voice in this song
    with metrics.shared_references():
        for _ in range(2):                                               # computed, then reused
            scores = metrics.track_scores(references, estimates, rate=8000)
            assert scores.value.isna().all()         # one silent reference: no frame can be scored
            reasons = metrics.missing_reasons(references, estimates, scores)
            assert reasons["vocals"] == "the reference is silent in every frame"
            assert reasons["drums"] == "the reference of vocals (scored with it) is silent in every frame"


def test_rest_db_says_how_far_stems_are_from_adding_up_to_the_mixture():
    from seplib.metrics import rest_db

    rng = np.random.default_rng(3)
    stems = {s: rng.standard_normal((2, 1000)) for s in ("a", "b")}
    mixture = stems["a"] + stems["b"]
    assert rest_db(stems, mixture) < -250  # exact
    assert abs(rest_db(stems, mixture * 1.1) - 10 * np.log10((0.1 / 1.1) ** 2)) < 1e-9


def test_a_singular_gram_matrix_is_made_again_for_the_fallback_after_lapack_wrote_over_it():
    from seplib.metrics.bsseval import _factor_spd, _solve_factored

    rng = np.random.default_rng(0)
    basis = rng.standard_normal((6, 3))
    A = torch.from_numpy(basis @ basis.T)                 # rank 3 of 6: Cholesky fails
    made = []

    def make():
        made.append(A.clone())
        return made[-1]

    kind, _ = factor = _factor_spd(make)
    assert kind in ("lu", "lstsq") and len(made) == 2   # the first copy was overwritten, so a second
    assert not torch.equal(made[0], A) and torch.equal(made[1], A)
    b = A @ torch.from_numpy(rng.standard_normal((6, 2)))  # in A's span: solvable
    assert torch.allclose(A @ _solve_factored(factor, b), b, atol=1e-8)
    spd = torch.from_numpy(basis.T @ basis + np.eye(3))
    kind, _ = factor = _factor_spd(lambda: torch.stack([spd.clone(), 2 * spd]))   # a batch, as G_own
    x = _solve_factored(factor, torch.ones(2, 3, 1, dtype=torch.float64))
    assert kind == "potrf" and torch.allclose(torch.stack([spd, 2 * spd]) @ x, torch.ones(2, 3, 1, dtype=torch.float64))


@pytest.mark.parametrize("group", [1, 4, 16])
def test_lagged_correlations_are_numpys_whatever_the_block_grouping(group):
    from seplib.metrics.bsseval import _lagged_correlations

    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((2, 3000)), rng.standard_normal((3, 3000))
    L = 40        # blocks of 512 - 78 samples: several groups of several blocks, and a ragged last one
    r = _lagged_correlations(torch.from_numpy(x), torch.from_numpy(y), L, n_fft=512, group=group).numpy()
    for a in range(2):
        for b in range(3):
            # r_ab(tau) = sum_n x_a(n) y_b(n + tau), tau = -(L-1) .. L-1
            full = np.correlate(y[b], x[a], mode="full")[len(x[a]) - L: len(x[a]) + L - 1]
            assert np.allclose(r[a, b], full, atol=1e-9)


def test_scores_do_not_depend_on_how_many_frames_are_filtered_at_once():
    refs, ests = sources(5.0, n_sources=2, seed=6)
    one = metrics.bss_eval_v4(refs, ests, RATE, device="cpu", frames_per_batch=1)
    many = metrics.bss_eval_v4(refs, ests, RATE, device="cpu", frames_per_batch=8)
    for m in metrics.METRICS:
        assert np.allclose(one[m], many[m], atol=1e-6, rtol=0), m
