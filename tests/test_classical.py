"""Classical separation: HPSS, REPET, REPET-SIM, NMF and the 4-stem pipelines.

Each method gets a small signal built to show its idea, and must beat the unprocessed
mixture on SDR against its own reference.
"""
import tracemalloc

import numpy as np
import pytest
import soundfile as sf
import torch

from seplib.classical import hz_to_bins, masks_to_estimates, seconds_to_frames, softmask, spectrogram
from seplib.classical.hpss import hpss, hpss_masks, median_filter_freq, median_filter_time, separate_hpss
from seplib.classical import nmf as nmf_module
from seplib.classical.nmf import (dictionary_path, nmf, separate_nmf, separate_nmf_supervised,
                                  supervised_dictionaries)
from seplib.classical.pipelines import lowpass, separate_classical_nmf, separate_classical_repet
from seplib.classical.repet import (beat_spectrum, librosa_vocal_separation, repeating_period,
                                    separate_repet, separate_repet_sim, similar_frames)
from seplib import separate

RATE = 22050
N_FFT, HOP = 2048, 512


def sdr(estimate, reference):
    """Plain SDR in dB: 10 log10(||s||^2 / ||s - s_hat||^2)."""
    reference, estimate = np.asarray(reference, np.float64), np.asarray(estimate, np.float64)
    return 10 * np.log10(np.sum(reference ** 2) / np.sum((reference - estimate) ** 2))


def assert_beats_mixture(estimates, references, mixture, margin_db=1.0):
    for stem, ref in references.items():
        got, floor = sdr(estimates[stem], ref), sdr(mixture, ref)
        assert got > floor + margin_db, f"{stem}: SDR {got:.2f} dB does not beat the mixture's {floor:.2f} dB"


def tone(freq, seconds, rate=RATE, harmonics=(1.0, 0.5, 0.3, 0.2)):
    t = np.arange(int(seconds * rate)) / rate
    return sum(a * np.sin(2 * np.pi * freq * (h + 1) * t) for h, a in enumerate(harmonics))


def stereo(x, gains=(1.0, 0.8)):
    return np.stack([g * x for g in gains]).astype(np.float32)


# --------------------------------------------------------------------------------------------
# test signals
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def clicks_and_tone():
    """A click train (drums) and a sustained chord (other), 3 s stereo."""
    rng = np.random.default_rng(0)
    n = 3 * RATE
    clicks = np.zeros(n)
    burst = rng.standard_normal(400) * np.exp(-np.arange(400) / 60)
    for start in range(1000, n - 400, RATE // 4):
        clicks[start:start + 400] += burst
    refs = {"drums": stereo(0.5 * clicks, (1.0, 0.7)), "other": stereo(0.1 * (tone(220, 3) + tone(277, 3)))}
    return sum(refs.values()), refs


@pytest.fixture(scope="module")
def loop_and_melody():
    """A 1-second accompaniment loop repeated 8 times and a non-repeating melody, stereo."""
    rng = np.random.default_rng(1)
    loop = np.zeros(RATE)
    for i, f in enumerate([110, 165, 220, 330]):  # four decaying notes per bar
        start = i * RATE // 4
        n = RATE // 4
        loop[start:start + n] += tone(f, 0.25) * np.exp(-np.arange(n) / (0.08 * RATE))
    hat = rng.standard_normal(RATE // 8) * np.exp(-np.arange(RATE // 8) / 300)
    loop[: RATE // 8] += 0.3 * hat
    accompaniment = np.tile(loop, 8)
    # the melody glides and wobbles (vibrato), so none of its frames repeats another
    t = np.arange(len(accompaniment)) / RATE
    steps = np.repeat(rng.integers(0, 12, size=int(t[-1] / 0.4) + 1), int(0.4 * RATE))[:len(t)]
    smooth = np.convolve(steps, np.ones(2000) / 2000, mode="same")
    semitones = smooth + 0.3 * np.sin(2 * np.pi * 5.5 * t)
    phase = 2 * np.pi * np.cumsum(440 * 2 ** (semitones / 12)) / RATE
    melody = sum(a * np.sin((h + 1) * phase) for h, a in enumerate((1.0, 0.5, 0.3, 0.2)))
    melody *= 0.6 + 0.4 * np.sin(2 * np.pi * 0.3 * t)  # phrases swell and fade
    refs = {"accompaniment": stereo(0.2 * accompaniment), "vocals": stereo(0.12 * melody, (0.8, 1.0))}
    return sum(refs.values()), refs


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------
def test_unit_helpers():
    assert seconds_to_frames(1.0, 44100, 1024) == 43
    assert seconds_to_frames(1.0, 44100, 1024, odd=True) == 43
    assert seconds_to_frames(0.5, 44100, 1024, odd=True) == 23  # 21.5 -> 22 -> odd 23
    assert hz_to_bins(500, 44100, 4096) == 46
    assert hz_to_bins(500, 44100, 4096, odd=True) == 47
    with pytest.raises(ValueError, match="positive"):
        seconds_to_frames(0, 44100)


def test_softmask_matches_librosa():
    librosa = pytest.importorskip("librosa")
    rng = np.random.default_rng(0)
    X, R = rng.random((2, 50, 60)).astype(np.float32) ** 3
    X[:, :5] = R[:, :5] = 0
    for power, split in [(1.0, False), (2.0, True), (np.inf, False)]:
        ours = softmask(X, R, power, split_zeros=split)
        theirs = librosa.util.softmask(X, R, power=power, split_zeros=split)
        np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_masks_to_estimates_rest_closes_the_sum(clicks_and_tone):
    mixture, _ = clicks_and_tone
    X, V = spectrogram(mixture, N_FFT, HOP)
    est = masks_to_estimates(X, {"a": np.full(V.shape, 0.3, np.float32)}, mixture, rest="b", n_fft=N_FFT, hop=HOP)
    np.testing.assert_allclose(est["a"] + est["b"], mixture, atol=1e-6)
    np.testing.assert_allclose(est["a"], 0.3 * mixture, atol=1e-4)


# --------------------------------------------------------------------------------------------
# HPSS
# --------------------------------------------------------------------------------------------
def test_median_filters_match_scipy():
    from scipy.ndimage import median_filter

    V = np.random.default_rng(0).random((2, 40, 30)).astype(np.float32)
    for length in (1, 4, 7):
        np.testing.assert_array_equal(median_filter_time(V, length),
                                      median_filter(V, size=(1, 1, length), mode="reflect"))
        np.testing.assert_array_equal(median_filter_freq(V, length),
                                      median_filter(V, size=(1, length, 1), mode="reflect"))


@pytest.mark.parametrize("power, margin", [(2.0, 1.0), (1.0, 3.0), (np.inf, 1.0), (2.0, (2.0, 4.0))])
def test_hpss_masks_match_librosa(clicks_and_tone, power, margin):
    librosa = pytest.importorskip("librosa")
    _, V = spectrogram(clicks_and_tone[0], N_FFT, HOP)
    ours = hpss_masks(V, 17, 31, power, margin)
    harm, perc = librosa.decompose.hpss(V, kernel_size=(17, 31), power=power, margin=margin, mask=True)
    diff = max(np.abs(ours["harmonic"] - harm).max(), np.abs(ours["percussive"] - perc).max())
    print(f"hpss masks vs librosa (power={power}, margin={margin}): max abs diff {diff:.2e}")
    assert diff <= 1e-6
    total = ours["harmonic"] + ours["percussive"] + ours["residual"]
    np.testing.assert_allclose(total, 1.0, atol=1e-6)


def test_hpss_separates_clicks_from_tone(clicks_and_tone):
    mixture, refs = clicks_and_tone
    est = separate_hpss(mixture, RATE, n_fft=N_FFT, hop=HOP)
    assert set(est) == {"drums", "other"}
    np.testing.assert_allclose(est["drums"] + est["other"], mixture, atol=1e-5)
    assert_beats_mixture(est, refs, mixture, margin_db=6.0)


def test_hpss_margin_makes_a_residual(clicks_and_tone):
    mixture, _ = clicks_and_tone
    parts = hpss(mixture, RATE, margin=3.0, n_fft=N_FFT, hop=HOP)
    assert set(parts) == {"harmonic", "percussive", "residual"}
    np.testing.assert_allclose(sum(parts.values()), mixture, atol=1e-5)
    assert np.sum(parts["residual"] ** 2) > 1e-3 * np.sum(mixture ** 2)


def test_registry_hpss(clicks_and_tone):
    mixture, _ = clicks_and_tone
    est = separate("hpss", mixture, 44100)
    assert set(est) == {"drums", "other"} and est["drums"].shape == mixture.shape


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="channels, samples"):
        separate_hpss(np.zeros(10000, np.float32), RATE)
    with pytest.raises(ValueError, match="margin"):
        hpss_masks(np.ones((4, 4), np.float32), 3, 3, margin=0.5)


# --------------------------------------------------------------------------------------------
# REPET and REPET-SIM
# --------------------------------------------------------------------------------------------
def test_beat_spectrum_finds_the_period(loop_and_melody):
    mixture, _ = loop_and_melody
    _, V = spectrogram(mixture, N_FFT, HOP)
    b = beat_spectrum(V)
    assert b[0] == pytest.approx(1.0)
    period = repeating_period(b, seconds_to_frames(0.5, RATE, HOP), seconds_to_frames(2.5, RATE, HOP))
    assert abs(period - RATE / HOP) <= 1, f"period {period} frames, expected about {RATE / HOP:.1f}"


def test_repet_separates_loop_from_melody(loop_and_melody):
    mixture, refs = loop_and_melody
    est = separate_repet(mixture, RATE, min_seconds=0.5, max_seconds=2.5, n_fft=N_FFT, hop=HOP)
    np.testing.assert_allclose(est["vocals"] + est["accompaniment"], mixture, atol=1e-5)
    assert_beats_mixture(est, refs, mixture)


def test_repet_sim_separates_loop_from_melody(loop_and_melody):
    mixture, refs = loop_and_melody
    est = separate_repet_sim(mixture, RATE, k=10, min_seconds=0.5, n_fft=N_FFT, hop=HOP)
    np.testing.assert_allclose(est["vocals"] + est["accompaniment"], mixture, atol=1e-5)
    assert_beats_mixture(est, refs, mixture)


def test_librosa_recipe_runs(loop_and_melody):
    pytest.importorskip("sklearn")
    mixture, refs = loop_and_melody
    est = librosa_vocal_separation(mixture, RATE, width_seconds=0.5, n_fft=N_FFT, hop=HOP)
    assert set(est) == {"vocals", "accompaniment"}
    assert est["vocals"].shape == mixture.shape
    assert sdr(est["accompaniment"], refs["accompaniment"]) > sdr(mixture, refs["accompaniment"])


def test_similar_frames_blocks_agree_with_dense():
    rng = np.random.default_rng(0)
    features = rng.random((300, 20)).astype(np.float32)
    blocked = similar_frames(features, k=7, min_frames=5, block=16)
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    dense = unit @ unit.T
    t = np.arange(300)
    dense[np.abs(t[:, None] - t[None]) < 5] = -np.inf
    expected = np.sort(np.argsort(-dense, axis=1)[:, :7], axis=1)
    np.testing.assert_array_equal(np.sort(blocked, axis=1), expected)
    assert np.all(np.abs(blocked - t[:, None]) >= 5)


def test_similar_frames_memory_stays_blockwise():
    """A 1-minute song at 44.1 kHz has ~2600 frames: a dense float32 similarity matrix is
    27 MB. Blocked, the peak must stay far below it."""
    frames, block = 2600, 64
    features = np.random.default_rng(0).random((frames, 32)).astype(np.float32)
    tracemalloc.start()
    similar_frames(features, k=10, min_frames=43, block=block)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    dense = frames * frames * 4
    print(f"similar_frames peak {peak / 2 ** 20:.1f} MiB, dense matrix {dense / 2 ** 20:.1f} MiB")
    assert peak < dense / 4


# --------------------------------------------------------------------------------------------
# NMF
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("beta", ["euclidean", "kl"])
def test_nmf_cost_never_increases(beta):
    rng = np.random.default_rng(0)
    V = (rng.random((120, 8)) @ rng.random((8, 200)) + 0.01 * rng.random((120, 200))).astype(np.float32)
    W, H, costs = nmf(V, 8, beta, n_iter=60, seed=0, device=torch.device("cpu"))
    costs = np.array(costs)
    assert W.shape == (120, 8) and H.shape == (8, 200) and len(costs) == 61
    steps = np.diff(costs)
    assert np.all(steps <= 1e-5 * np.abs(costs[:-1])), f"cost rose by up to {steps.max():.3g}"
    assert costs[-1] < 0.1 * costs[0]


def test_nmf_is_seeded():
    V = np.random.default_rng(0).random((30, 40)).astype(np.float32)
    a = nmf(V, 4, n_iter=5, seed=3, device=torch.device("cpu"))
    b = nmf(V, 4, n_iter=5, seed=3, device=torch.device("cpu"))
    assert torch.equal(a[0], b[0]) and a[2] == b[2]
    with pytest.raises(ValueError, match="beta"):
        nmf(V, 4, beta="itakura")


@pytest.fixture(scope="module")
def two_notes():
    """Two notes (A3 and E4 with different timbres), each on and off at different times."""
    seconds = 3.0
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    gate_a = (np.sin(2 * np.pi * 1.0 * t) > 0).astype(float)
    gate_b = (np.sin(2 * np.pi * 1.5 * t + 1.0) > 0).astype(float)
    a = tone(220, seconds, harmonics=(1.0, 0.6, 0.4, 0.3)) * gate_a
    b = tone(330, seconds, harmonics=(1.0, 0.1, 0.5, 0.05)) * gate_b
    refs = {"a": stereo(0.1 * a), "b": stereo(0.1 * b, (0.7, 1.0))}
    # known templates: the average spectrum of each note played alone
    templates = {}
    for name, x in refs.items():
        _, V = spectrogram(x, N_FFT, HOP)
        templates[name] = torch.as_tensor(V.mean(0)[:, V.mean(0).sum(0) > 0].mean(1, keepdims=True))
    return sum(refs.values()), refs, templates


def test_supervised_nmf_with_known_templates(two_notes):
    mixture, refs, templates = two_notes
    est = separate_nmf_supervised(mixture, RATE, dictionaries=templates, n_iter=50, n_fft=N_FFT,
                                  hop=HOP, device=torch.device("cpu"))
    assert set(est) == {"a", "b"}
    np.testing.assert_allclose(est["a"] + est["b"], mixture, atol=1e-5)
    assert_beats_mixture(est, refs, mixture, margin_db=6.0)


def test_unsupervised_nmf_gives_four_stems(two_notes):
    mixture, _, _ = two_notes
    est = separate_nmf(mixture, RATE, n_components=6, n_iter=20, n_fft=N_FFT, hop=HOP,
                       device=torch.device("cpu"))
    assert set(est) == {"drums", "bass", "other", "vocals"}
    np.testing.assert_allclose(sum(est.values()), mixture, atol=1e-5)


def _write_track(folder, rng, seconds=2.0):
    folder.mkdir(parents=True)
    stems = {s: 0.1 * rng.standard_normal((int(seconds * 44100), 2)).astype(np.float32)
             for s in ("drums", "bass", "other", "vocals")}
    for s, x in stems.items():
        sf.write(str(folder / f"{s}.wav"), x, 44100, subtype="FLOAT")
    sf.write(str(folder / "mixture.wav"), sum(stems.values()), 44100, subtype="FLOAT")


def test_supervised_dictionaries_are_learned_once(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    root = tmp_path / "tiny"
    _write_track(root / "train" / "song one", rng)
    _write_track(root / "test" / "song two", rng)
    monkeypatch.setenv("SEPLIB_MODELS", str(tmp_path / "models"))
    kwargs = dict(root=root, n_components=3, n_iter=5, seconds=1.0, n_fft=N_FFT, hop=HOP, progress=False)
    first = supervised_dictionaries(**kwargs)  # learned on config.device(): a GPU where there is one
    assert set(first) == {"drums", "bass", "other", "vocals"}
    assert all(d.device.type == "cpu" for d in first.values())  # as when read from the cache
    assert first["vocals"].shape == (N_FFT // 2 + 1, 3)
    cached = list((tmp_path / "models" / "tiny" / "nmf").glob("*.pt"))  # with the data set's models
    assert len(cached) == 1
    second = supervised_dictionaries(**kwargs)  # loaded, not learned again
    assert all(torch.equal(first[s], second[s]) for s in first)
    assert dictionary_path("tiny", {"n_components": 4}) != dictionary_path("tiny", {"n_components": 3})


def test_nmf_defaults_follow_the_run_size(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    root = tmp_path / "tiny"
    _write_track(root / "train" / "song one", rng)
    monkeypatch.setenv("SEPLIB_MODELS", str(tmp_path / "models"))
    quick = nmf_module.settings("quick")
    assert quick["dict_components"] < nmf_module.settings("full")["dict_components"]
    kwargs = nmf_module.method_kwargs("quick", root=root)
    dictionaries = kwargs["nmf-supervised"]["dictionaries"]
    assert all(d.shape[1] == quick["dict_components"] for d in dictionaries.values())
    assert kwargs["nmf"] == {"n_components": quick["n_components"], "n_iter": quick["n_iter"]}
    saved = torch.load(next((tmp_path / "models" / "tiny" / "nmf").glob("*.pt")))
    assert saved["params"]["seconds"] == quick["dict_seconds"] and saved["params"]["n_iter"] == quick["dict_iter"]
    with pytest.raises(ValueError, match="size must be one of"):
        nmf_module.settings("huge")


# --------------------------------------------------------------------------------------------
# pipelines
# --------------------------------------------------------------------------------------------
def test_lowpass_keeps_low_and_removes_high():
    t = np.arange(RATE) / RATE
    low, high = np.sin(2 * np.pi * 60 * t), np.sin(2 * np.pi * 2000 * t)
    y = lowpass(stereo(low + high), RATE, 150.0)
    assert sdr(y[0], low) > 30


@pytest.mark.parametrize("fn, kwargs", [(separate_classical_repet, {"k": 5, "min_seconds": 0.5}),
                                        (separate_classical_nmf, {"n_iter": 20, "n_components": 4})])
def test_pipelines_give_four_stems_summing_to_mixture(loop_and_melody, fn, kwargs):
    mixture, _ = loop_and_melody
    est = fn(mixture, RATE, n_fft=N_FFT, hop=HOP, **kwargs)
    assert list(est) == ["drums", "bass", "other", "vocals"]
    assert all(e.shape == mixture.shape and e.dtype == np.float32 for e in est.values())
    np.testing.assert_allclose(sum(est.values()), mixture, atol=1e-5)


def test_classical_repet_finds_the_drums(clicks_and_tone):
    mixture, refs = clicks_and_tone
    est = separate_classical_repet(mixture, RATE, k=5, min_seconds=0.5, n_fft=N_FFT, hop=HOP)
    assert sdr(est["drums"], refs["drums"]) > sdr(mixture, refs["drums"]) + 6


def test_similar_frames_within_reach_agree_with_dense():
    # max_frames: only frames at most that far are compared; where fewer than k qualify, the
    # frame itself fills the rest (as for frames of negative similarity)
    rng = np.random.default_rng(1)
    features = rng.random((200, 12)).astype(np.float32)
    t = np.arange(200)
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    for reach, k in [(30, 6), (8, 6), (250, 6)]:  # 8 - 3 + 1 = 6 frames on each side at most
        windowed = similar_frames(features, k=k, min_frames=3, block=16, max_frames=reach)
        dense = unit @ unit.T
        distance = np.abs(t[:, None] - t[None])
        dense[(distance < 3) | (distance > reach)] = -np.inf
        order = np.argsort(-dense, axis=1, kind="stable")[:, :k]
        best = np.take_along_axis(dense, order, axis=1)
        expected = np.where(best >= 0, order, t[:, None])
        np.testing.assert_array_equal(np.sort(windowed, axis=1), np.sort(expected, axis=1), err_msg=f"reach {reach}")
        chosen = windowed != t[:, None]
        assert np.all(np.abs(windowed - t[:, None])[chosen] <= reach)
        assert np.all(np.abs(windowed - t[:, None])[chosen] >= 3)
    whole = similar_frames(features, k=6, min_frames=3, block=16)
    np.testing.assert_array_equal(similar_frames(features, k=6, min_frames=3, block=16, max_frames=200), whole)


def test_repet_sim_within_reach_of_the_whole_song_is_the_whole_song_result(loop_and_melody):
    mixture = loop_and_melody[0].astype(np.float32)
    seconds = mixture.shape[1] / RATE
    whole = separate_repet_sim(mixture, RATE, max_seconds=None, n_fft=N_FFT, hop=HOP)
    reach = separate_repet_sim(mixture, RATE, max_seconds=seconds + 1, n_fft=N_FFT, hop=HOP)
    near = separate_repet_sim(mixture, RATE, max_seconds=seconds / 4, n_fft=N_FFT, hop=HOP)
    for stem in whole:
        np.testing.assert_array_equal(reach[stem], whole[stem])
    assert not np.array_equal(near["vocals"], whole["vocals"])  # a shorter reach is another model
