"""Notebook 10's exercise checks: the solutions pass on inputs the notebook never shows, and
typical wrong answers (at least three per exercise) are refused without giving the answer away."""
import numpy as np
import pytest

from seplib import spectral
from seplib.exercises import UNANSWERED, nb10


def run(code, name, **namespace):
    namespace.setdefault("np", np)
    exec(code, namespace)
    return namespace[name]


def test_pan_from_levels_solution_passes_and_placeholder_is_unanswered():
    assert nb10.q1.grade(run(nb10.q1.solution_code, "pan_from_levels")) is None
    assert nb10.q1.grade(lambda left, right: None) is UNANSWERED


@pytest.mark.parametrize("wrong, says", [
    (lambda L, R: (R - L) / (R + L + 1e-12), "between"),                                  # linear ratio
    (lambda L, R: np.where((L == 0) & (R == 0), 0, 4 / np.pi * np.arctan2(L, R) - 1), "swapped"),  # left/right
    (lambda L, R: np.where((L == 0) & (R == 0), 0, 4 / np.pi * np.arctan2(R ** 2, L ** 2) - 1), "between"),  # powers
    (lambda L, R: 4 / np.pi * np.arctan(R / L) - 1, "NaN"),                                 # silent bins
    (lambda L, R: np.degrees(np.arctan2(R, L)) - 1, "[-1, 1]"),                                 # degrees, unscaled
    (lambda L, R: np.zeros(3), "shape"),
])
def test_pan_from_levels_wrong_answers_are_refused(wrong, says):
    with np.errstate(all="ignore"):
        verdict = nb10.q1.grade(wrong)
    assert isinstance(verdict, str) and says in verdict


def test_tallest_position_solution_passes_and_wrong_answers_are_refused():
    assert nb10.q2.grade(run(nb10.q2.solution_code, "tallest_position")) is None
    assert nb10.q2.grade(lambda pan, energy, bins: None) is UNANSWERED
    counts = run(nb10.q2.wrong_code, "tallest_position")
    assert "energy" in nb10.q2.grade(counts)

    def left_edge(pan, energy, bins):
        edges = np.linspace(-1, 1, bins + 1)
        return edges[np.argmax(np.histogram(pan, edges, weights=energy)[0])]

    def data_range(pan, energy, bins):
        hist, edges = np.histogram(pan, bins, weights=energy)  # edges from the data's own span
        k = np.argmax(hist)
        return (edges[k] + edges[k + 1]) / 2

    def index(pan, energy, bins):
        return int(np.argmax(np.histogram(pan, np.linspace(-1, 1, bins + 1), weights=energy)[0]))

    assert "half a bin" in nb10.q2.grade(left_edge)
    assert "fixed from -1 to 1" in nb10.q2.grade(data_range)
    assert "index" in nb10.q2.grade(index)


def test_the_checks_inputs_tell_counts_from_energy():
    for pan, energy, bins in nb10._position_cases():
        counts = np.histogram(pan, np.linspace(-1, 1, bins + 1))[0]
        assert -1 + (2 / bins) * (np.argmax(counts) + 0.5) != nb10.tallest_position_of(pan, energy, bins)


def test_share_kept_is_checked_on_inputs_the_notebook_never_shows():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 22050)).astype(np.float32)
    freqs, frames = spectral.stft(x).shape[-2:]
    mask = rng.uniform(0, 1, (freqs, frames))

    def right(mask, x):
        power = spectral.stft(x).abs().numpy() ** 2
        return float((mask * power).sum() / power.sum())

    assert nb10.q3.grade(right, mask=mask, x=x) is None
    assert nb10.q3.grade(None, mask=mask, x=x) is UNANSWERED
    assert nb10.q3.grade(lambda m, x: None, mask=mask, x=x) is UNANSWERED
    assert "function" in nb10.q3.grade(0.81, mask=mask, x=x)  # a number copied from a table
    assert "average" in nb10.q3.grade(lambda m, x: float(np.mean(m)), mask=mask, x=x)
    assert "percentage" in nb10.q3.grade(lambda m, x: 100 * right(m, x), mask=mask, x=x)
    for wrong in (lambda m, x: 0.81,                                                   # the printed share
                  lambda m, x: right(m, x[:1]),                                         # one channel
                  lambda m, x: float((m * spectral.stft(x).abs().numpy()).sum()
                                     / spectral.stft(x).abs().numpy().sum())):          # magnitude, not energy
        said = nb10.q3.grade(wrong, mask=mask, x=x)
        assert said is not None and "too" not in said, said
