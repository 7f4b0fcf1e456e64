import numpy as np
import pytest

import seplib
from seplib import STEMS, methods, separate
from seplib.blocks import separate_chunked


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
    assert methods.names("oracle") == ["oracle-ibm", "oracle-irm", "oracle-wiener"]
    assert all(m.needs_references for m in methods.records("oracle"))
    assert methods.names("floor") == ["mixture"]
    for name in ("hpss", "repet", "repet-sim", "nmf", "nmf-supervised", "classical-repet", "classical-nmf"):
        assert methods.get(name).family == "classical"
    for name in ("unet", "demucs-lite", "dprnn", "conv1d"):
        assert methods.get(name).family == "learned" and methods.get(name).takes_checkpoint
        assert methods.get(name).takes_run  # a trained model finds its checkpoint by the run
    assert not any(m.takes_checkpoint for m in methods.records() if m.family != "learned")
    assert [m.name for m in methods.records() if m.takes_run and m.family != "learned"] == ["nmf-supervised"]
    assert methods.get("hpss").stems == ("drums", "other")
    assert methods.get("repet-sim").stems == ("vocals", "accompaniment")


def test_the_module_and_the_function_do_not_shadow_each_other():
    import importlib

    assert callable(seplib.separate) and seplib.separate is separate
    module = importlib.import_module("seplib.separation")
    assert module.separate is separate and callable(module.reference_of)
    with pytest.raises(ImportError):
        importlib.import_module("seplib.separate")


def test_a_checkpoint_for_a_method_without_one_is_refused():
    with pytest.raises(ValueError, match="hpss takes no checkpoint"):
        separate("hpss", np.zeros((2, 10000)), 44100, checkpoint="model.pt")


def test_run_is_passed_only_to_a_method_registered_as_taking_it():
    seen = {}

    def with_run(mixture, rate, run=None):
        seen["run"] = run
        return {"vocals": mixture}

    def without_run(mixture, rate):
        return {"vocals": mixture}

    methods.register("test-with-run", with_run, family="classical", stems=("vocals",), takes_run=True)
    methods.register("test-undeclared-run", with_run, family="classical", stems=("vocals",))
    methods.register("test-without-run", without_run, family="classical", stems=("vocals",))
    try:
        assert methods.get("test-with-run").takes_run and not methods.get("test-without-run").takes_run
        separate("test-with-run", np.zeros((2, 10)), 44100, run="the run")
        assert seen.pop("run") == "the run"
        separate("test-undeclared-run", np.zeros((2, 10)), 44100, run="the run")  # declared by the record only
        assert seen.pop("run") is None
        separate("test-without-run", np.zeros((2, 10)), 44100, run="the run")  # not passed on
    finally:
        methods.unregister("test-with-run")
        methods.unregister("test-undeclared-run")
        methods.unregister("test-without-run")


@pytest.mark.parametrize("chunk,overlap", [(1000, 0), (1000, 300), (777, 100), (50000, 1000)])
def test_chunked_overlap_add_is_exact_for_a_pointwise_method(chunk, overlap):
    x = np.random.default_rng(0).standard_normal((2, 12345)).astype(np.float32)
    out = separate_chunked(lambda c: {"a": 2 * c, "b": -c}, x, chunk, overlap)
    np.testing.assert_allclose(out["a"], 2 * x, atol=1e-5)
    np.testing.assert_allclose(out["b"], -x, atol=1e-5)


def test_chunked_rejects_overlap_too_large():
    with pytest.raises(ValueError, match="overlap"):
        separate_chunked(lambda c: {"a": c}, np.zeros((2, 100)), 10, 5)
