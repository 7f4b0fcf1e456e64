"""The MUSHRA-style listening test of notebook 01 (seplib.listen): the trial set, the ratings file."""
import json

import matplotlib
import numpy as np
import pytest

from seplib import listen

matplotlib.use("Agg")
RATE = 16000


@pytest.fixture
def reference():
    rng = np.random.default_rng(0)
    return rng.standard_normal((2, RATE)).astype(np.float32) * 0.1  # white: energy at every frequency


def band_energy(x, lo, hi):
    spec = np.abs(np.fft.rfft(x, axis=-1)) ** 2
    hz = np.fft.rfftfreq(x.shape[-1], 1 / RATE)
    return spec[:, (hz >= lo) & (hz < hi)].sum()


def test_the_trial_set_holds_the_estimates_the_hidden_reference_and_the_anchor(reference):
    estimates = {"hard mask": 0.5 * reference, "leaky mask": reference + 0.01}
    trials = listen.mushra_trials(reference, estimates, RATE, seed=3)
    assert sorted(t["name"] for t in trials) == sorted([listen.HIDDEN_REFERENCE, listen.ANCHOR, *estimates])
    assert [t["label"] for t in trials] == ["A", "B", "C", "D"]
    by_name = {t["name"]: t["audio"] for t in trials}
    np.testing.assert_array_equal(by_name[listen.HIDDEN_REFERENCE], reference)
    np.testing.assert_array_equal(by_name["hard mask"], estimates["hard mask"])
    anchor = by_name[listen.ANCHOR]
    assert anchor.shape == reference.shape
    # the anchor keeps what is below 3.5 kHz and loses what is above it
    assert band_energy(anchor, 0, 3000) > 0.9 * band_energy(reference, 0, 3000)
    assert band_energy(anchor, 4500, RATE / 2) < 1e-3 * band_energy(reference, 4500, RATE / 2)


def test_the_order_is_drawn_from_the_seed(reference):
    estimates = {f"estimate {i}": (i + 1) * 0.1 * reference for i in range(3)}

    def order(seed):
        return [t["name"] for t in listen.mushra_trials(reference, estimates, RATE, seed=seed)]

    assert order(5) == order(5)
    assert len({tuple(order(seed)) for seed in range(10)}) > 3  # other seeds, other orders


def test_the_trial_set_refuses_reserved_names_and_other_shapes(reference):
    with pytest.raises(ValueError, match="names are the test's own"):
        listen.mushra_trials(reference, {listen.HIDDEN_REFERENCE: reference}, RATE)
    with pytest.raises(ValueError, match="shape"):
        listen.mushra_trials(reference, {"short": reference[:, :100]}, RATE)


def test_ratings_round_trip_through_the_file(tmp_path):
    path = tmp_path / "listening" / "ratings.json"
    assert listen.load_ratings(path) == []
    listen.save_ratings(path, {"a": 100, "b": 12.5}, listener="ana")
    sessions = listen.save_ratings(path, {"a": 90, "b": 0}, listener="ben")
    assert listen.load_ratings(path) == sessions == [
        {"listener": "ana", "ratings": {"a": 100.0, "b": 12.5}},
        {"listener": "ben", "ratings": {"a": 90.0, "b": 0.0}}]
    assert listen.mean_ratings(sessions) == {"a": 95.0, "b": 6.25}


@pytest.mark.parametrize("bad", [101, -1, float("nan"), float("inf"), "50", None, True])
def test_a_rating_outside_0_to_100_is_refused_and_the_file_kept(tmp_path, bad):
    path = tmp_path / "ratings.json"
    listen.save_ratings(path, {"a": 50, "b": 50})
    before = path.read_text()
    with pytest.raises(ValueError, match=r"ratings\.json: the rating of 'b' is .*from 0 to 100"):
        listen.save_ratings(path, {"a": 50, "b": bad})
    assert path.read_text() == before


def test_ratings_must_name_the_trials(tmp_path):
    with pytest.raises(ValueError, match="missing \\['c'\\], unknown \\['x'\\]"):
        listen.save_ratings(tmp_path / "r.json", {"a": 1, "b": 2, "x": 3}, names=["a", "b", "c"])
    assert not (tmp_path / "r.json").exists()


def test_a_file_that_is_not_a_ratings_file_is_refused_naming_it(tmp_path):
    path = tmp_path / "ratings.json"
    path.write_text("not json")
    with pytest.raises(ValueError, match=r"ratings\.json: not a ratings file"):
        listen.load_ratings(path)
    path.write_text(json.dumps({"sessions": [{"ratings": {"a": 300}}]}))  # edited by hand
    with pytest.raises(ValueError, match="from 0 to 100"):
        listen.load_ratings(path)


def test_disagreements_are_the_pairs_ordered_differently():
    ratings = {"hard": 40.0, "leaky": 70.0, "anchor": 10.0}
    sdr = {"hard": 8.0, "leaky": 7.9, "anchor": 3.0}
    assert listen.disagreements(ratings, sdr) == [("hard", "leaky")]
    assert listen.disagreements(ratings, {"hard": 7.0, "leaky": 8.0, "anchor": 3.0}) == []


def test_the_panel_saves_what_the_sliders_say(tmp_path, reference):
    trials = listen.mushra_trials(reference[:, :800], {"x": 0.5 * reference[:, :800]}, RATE, seed=0)
    path = tmp_path / "ratings.json"
    panel = listen.mushra_panel(trials, path, listener="ana")
    assert [s.description for s in panel.sliders.values()] == [f"sample {t['label']}" for t in trials]
    for i, slider in enumerate(panel.sliders.values()):
        slider.value = 10 * i
    panel.save_button.click()
    assert listen.load_ratings(path) == [{"listener": "ana",
                                          "ratings": {n: 10.0 * i for i, n in enumerate(panel.sliders)}}]
    assert "saved: 1 listener" in panel.status.value
    panel.sliders[listen.ANCHOR].value = 100
    panel.save_button.click()
    assert len(listen.load_ratings(path)) == 2


def test_the_players_show_labels_only_never_the_names(reference):
    trials = listen.mushra_trials(reference[:, :800], {"x": 0.5 * reference[:, :800]}, RATE, seed=0)
    table = listen.mushra_players(trials, RATE).data
    assert table.count("<audio") == len(trials) + 1  # the open reference and every sample
    assert all(f"sample {t['label']}" in table for t in trials)
    assert listen.HIDDEN_REFERENCE not in table and listen.ANCHOR not in table and ">x<" not in table


def test_the_plot_shows_ratings_beside_the_scores():
    sessions = [{"listener": "a", "ratings": {"hard": 40.0, "leaky": 70.0}},
                {"listener": "b", "ratings": {"hard": 50.0, "leaky": 60.0}}]
    fig = listen.plot_ratings(sessions, {"hard": 8.0, "leaky": 7.9}, order=["leaky", "hard"])
    ax_r, ax_s = fig.axes
    assert [t.get_text() for t in ax_r.get_yticklabels()] == ["leaky", "hard"]
    assert [p.get_width() for p in ax_r.patches] == [65.0, 45.0]
    assert [p.get_width() for p in ax_s.patches] == [7.9, 8.0]
