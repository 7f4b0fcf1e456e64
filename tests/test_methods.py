"""A method of your own, registered with one call, is treated like a built-in one: separated,
evaluated, stored, ranked on the leaderboard and offered in the listening room."""
import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt

from seplib import data, listen, methods, metrics, separate


def lowpass_bass(mixture, rate, cutoff_hz=200.0):
    """A toy method: everything under ``cutoff_hz`` is the bass, the rest is ``other``."""
    sos = butter(4, cutoff_hz, btype="low", fs=rate, output="sos")
    bass = sosfiltfilt(sos, mixture, axis=-1).astype(np.float32)
    return {"bass": bass, "other": mixture - bass}


@pytest.fixture
def toy():
    methods.register("toy-lowpass", lowpass_bass, family="classical", stems=("bass", "other"),
                     description="under 200 Hz is bass")
    yield "toy-lowpass"
    methods.unregister("toy-lowpass")


def test_your_method_is_separated_evaluated_stored_ranked_and_heard(toy, tiny_root, tmp_path):
    record = methods.get(toy)
    assert record.family == "classical" and record.stems == ("bass", "other") and record.fn is lowpass_bass
    assert toy in methods.names() and toy in methods.names("classical")

    test = data.open_dataset("test", root=tiny_root)
    mixture = data.track_mixture(test[0])
    est = separate(toy, mixture, test[0].rate)
    assert set(est) == {"bass", "other"}
    np.testing.assert_allclose(est["bass"] + est["other"], mixture, atol=1e-5)

    per_track = metrics.evaluate(toy, test, dataset="synth-t", results_dir=tmp_path, progress=False)
    assert set(per_track.track) == {t.name for t in test} and set(per_track.stem) == {"bass", "other"}
    assert metrics.scores_path(toy, "synth-t", tmp_path).is_file()
    assert metrics.why_rescore(toy, test, "synth-t", tmp_path) == ""   # reused next time
    metrics.evaluate("mixture", test, dataset="synth-t", results_dir=tmp_path, progress=False)

    board = metrics.leaderboard("synth-t", results_dir=tmp_path)
    assert set(board.index) == {toy, "mixture"}
    assert np.isfinite(board.loc[toy, "bass"]) and np.isnan(board.loc[toy, "vocals"])
    assert board.loc[toy, "bass"] > board.loc["mixture", "bass"]   # a low-pass finds the bass

    room = listen.listening_room(test, ["mixture", toy], dataset="synth-t", results_dir=tmp_path, seconds=1.0)
    track_w, method_w = room.children[0].children
    assert toy in method_w.options
    method_w.value = toy                       # separated on demand, like a built-in method
    assert list(room.children[1].options) == ["bass", "other"]
    assert f"{toy}, bass" in room.children[4].value and "SDR" in room.children[4].value  # stored scores


def test_a_taken_name_is_refused_unless_replaced(toy):
    with pytest.raises(ValueError, match="already registered"):
        methods.register(toy, lambda mixture, rate: {"other": mixture}, family="classical")
    with pytest.raises(ValueError, match="already registered"):
        methods.register("hpss", lambda mixture, rate: {"other": mixture}, family="classical")
    methods.register(toy, lowpass_bass, family="classical", stems=("bass", "other"))   # the same function: fine
    methods.register(toy, lambda mixture, rate: {"other": mixture}, family="classical", replace=True)
    assert methods.get(toy).stems == ("drums", "bass", "other", "vocals")


def test_an_unknown_family_or_a_bad_name_is_refused():
    with pytest.raises(ValueError, match="family must be one of"):
        methods.register("toy-x", lowpass_bass, family="magic")
    with pytest.raises(ValueError, match="plain name"):
        methods.register("../toy", lowpass_bass, family="classical")
    with pytest.raises(ValueError, match="family must be one of"):
        methods.records("magic")
    assert "toy-x" not in methods.names()


def test_the_decorator_form_leaves_the_function_usable():
    @methods.register("toy-decorated", family="floor", stems=("vocals",))
    def silence(mixture, rate):
        return {"vocals": np.zeros_like(mixture)}

    try:
        assert silence(np.ones((1, 4)), 8000)["vocals"].sum() == 0
        assert methods.get("toy-decorated").fn is silence
    finally:
        methods.unregister("toy-decorated")
    with pytest.raises(ValueError, match="unknown method 'toy-decorated'"):
        methods.get("toy-decorated")


def test_the_lesson_is_taught_in_and_the_older_keyword_notebook_still_names_it():
    """A record names the lesson that teaches it (``taught_in``); a module of yours written with the
    older keyword ``notebook=`` registers the same record; the two disagreeing is refused in one line."""
    assert methods.get("hpss").taught_in == "02_hpss"
    try:
        methods.register("toy-old", lowpass_bass, family="classical", notebook="03_repet_sim")
        assert methods.get("toy-old").taught_in == "03_repet_sim"
        with pytest.raises(ValueError, match="notebook='02_hpss' and taught_in='04_nmf' differ"):
            methods.register("toy-old", lowpass_bass, family="classical", notebook="02_hpss", taught_in="04_nmf",
                             replace=True)
    finally:
        methods.unregister("toy-old")
