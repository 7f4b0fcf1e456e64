import numpy as np
import pytest

from seplib import STEMS, separate
from seplib.separate import METHODS, ORACLES, separate_chunked


def test_mixture_baseline_gives_every_stem_the_mixture(random_stems):
    mixture = sum(random_stems.values())
    est = separate("mixture", mixture, 44100)
    assert list(est) == list(STEMS)
    for e in est.values():
        np.testing.assert_array_equal(e, mixture)


def test_unknown_method_and_bad_input_are_named():
    with pytest.raises(ValueError, match="unknown method 'magic'"):
        separate("magic", np.zeros((2, 100)), 44100)
    with pytest.raises(ValueError, match=r"\(channels, samples\)"):
        separate("mixture", np.zeros(100), 44100)
    with pytest.raises(ValueError, match="NaN"):
        separate("mixture", np.full((2, 100), np.nan), 44100)
    with pytest.raises(ValueError, match="needs the true stems"):
        separate("oracle-irm", np.zeros((2, 100)), 44100)


def test_registry_names_follow_the_design():
    assert set(ORACLES) <= set(METHODS)
    for name in ("mixture", "hpss", "repet", "repet-sim", "nmf", "nmf-supervised", "classical-repet",
                 "classical-nmf", "unet", "demucs-lite", "dprnn", "conv1d"):
        assert name in METHODS


@pytest.mark.parametrize("chunk,overlap", [(1000, 0), (1000, 300), (777, 100), (50000, 1000)])
def test_chunked_overlap_add_is_exact_for_a_pointwise_method(chunk, overlap):
    x = np.random.default_rng(0).standard_normal((2, 12345)).astype(np.float32)
    out = separate_chunked(lambda c: {"a": 2 * c, "b": -c}, x, chunk, overlap)
    np.testing.assert_allclose(out["a"], 2 * x, atol=1e-5)
    np.testing.assert_allclose(out["b"], -x, atol=1e-5)


def test_chunked_rejects_overlap_too_large():
    with pytest.raises(ValueError, match="overlap"):
        separate_chunked(lambda c: {"a": c}, np.zeros((2, 100)), 10, 5)
