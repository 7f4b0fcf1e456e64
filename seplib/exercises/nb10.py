"""Exercises of notebook 10_panning: checks, hints and solutions.

Each check runs the student's function on inputs of its own (never the notebook's), with the
edge cases a pan position has: hard left, hard right, the centre, and silent bins.
"""
import numpy as np

from . import UNANSWERED, Exercise

NOTEBOOK = "10_panning"


def _pan_truth(left, right):
    from ..classical.panning import pan_index

    return pan_index(left, right).astype(np.float64)


def _pan_inputs():
    """Magnitudes the student's function has never seen: random, plus the edge cases."""
    rng = np.random.default_rng(1234)
    left, right = rng.uniform(0, 2, (7, 33)), rng.uniform(0, 2, (7, 33))
    left[0, :4], right[0, :4] = (1.0, 0.0, 0.5, 0.0), (0.0, 1.0, 0.5, 0.0)  # hard left, hard right, centre, silent
    return left, right


def _grade_pan(pan_from_levels):
    left, right = _pan_inputs()
    answer = pan_from_levels(left.copy(), right.copy())
    if answer is None:
        return UNANSWERED
    answer = np.asarray(answer, dtype=np.float64)
    truth = _pan_truth(left, right)
    if answer.shape != truth.shape:
        return f"wrong shape {answer.shape}: one pan position per bin, shaped like the inputs"
    if not np.isfinite(answer[0, 3]):
        return "a silent bin (both channels zero) gives NaN: put it at the centre, 0"
    if not np.isfinite(answer).all():
        return "some positions are NaN or infinite; a bin silent in one channel is hard left or hard right"
    if np.allclose(answer, truth, atol=1e-4):
        return None
    if np.allclose(answer, -truth, atol=1e-4):
        return "left and right are swapped: a source louder on the right has a positive pan"
    if np.abs(answer).max() > 1 + 1e-6:
        return "a pan position lies in [-1, 1]; check the scale (radians, not degrees; 4 / pi)"
    edges_ok = np.allclose(answer[0, :4], truth[0, :4], atol=1e-4)
    if edges_ok:
        return ("hard left, hard right, the centre and the silent bins are right, but the positions in "
                "between are not: turn the constant-power law around (arctan of the magnitude ratio)")
    return "not the pan law turned around: check the edge cases hard left (-1), hard right (+1) and the centre (0)"


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Make `pan_from_levels(left, right)` return the pan position of every bin (an array shaped "
            "like `left`).",
    grade=_grade_pan,
    hint_text="The constant-power law gives |X_R| / |X_L| = tan(theta) with theta = (p + 1) pi / 4: solve for "
              "p. `np.arctan2(right, left)` handles a zero left channel; then decide what a bin with both "
              "channels zero should be.",
    solution_code='''def pan_from_levels(left, right):
    pan = 4 / np.pi * np.arctan2(right, left) - 1
    pan[(left == 0) & (right == 0)] = 0.0   # a silent bin: the centre
    return pan
''',
    wrong_code='''def pan_from_levels(left, right):
    return (right - left) / (right + left)   # a linear ratio, not the constant-power law
''',
)


def tallest_position_of(pan, energy, bins):
    """The centre of the tallest bin of the energy-weighted histogram over [-1, 1] (for the check)."""
    from ..classical.panning import pan_histogram

    centres, share = pan_histogram(pan, energy, bins)
    return float(centres[np.argmax(share)])


def _position_cases():
    """Inputs where the busiest bin by count is not the loudest, and the data do not span [-1, 1]."""
    rng = np.random.default_rng(99)
    cases = []
    for bins, loud, busy in ((21, 0.4, -0.2), (40, -0.65, 0.1), (9, 0.0, 0.5)):
        pan = np.concatenate([rng.normal(busy, 0.01, 400), rng.normal(loud, 0.01, 50), rng.uniform(-0.8, 0.8, 100)])
        energy = np.concatenate([rng.uniform(0, 0.1, 400), rng.uniform(2, 3, 50), rng.uniform(0, 0.1, 100)])
        cases.append((np.clip(pan, -1, 1), energy, bins))
    return cases


def _grade_position(tallest_position):
    verdicts = []
    for pan, energy, bins in _position_cases():
        answer = tallest_position(pan.copy(), energy.copy(), bins)
        if answer is None:
            return UNANSWERED
        try:
            value = float(answer)
        except (TypeError, ValueError):
            return f"expected a number (a pan position), got {type(answer).__name__}"
        truth = tallest_position_of(pan, energy, bins)
        width = 2 / bins
        if abs(value - truth) <= 1e-6:
            continue
        if not -1 <= value <= 1:
            return "a pan position lies in [-1, 1]: return the bin's position, not its index"
        counted = np.histogram(pan, np.linspace(-1, 1, bins + 1))[0]
        if abs(value - (-1 + width * (np.argmax(counted) + 0.5))) < 1e-6:
            return "that is the bin with the most bins in it, not the most energy: weight by the energy"
        if abs(abs(value - truth) - width / 2) < 1e-6:
            return "off by half a bin: return the bin's centre, not one of its edges"
        verdicts.append("not the tallest bin: the histogram's edges are fixed from -1 to 1, whatever the data span")
    return verdicts[0] if verdicts else None


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Make `tallest_position(pan, energy, bins)` return the pan position (a number) of the tallest "
            "bin of the energy-weighted azimuth histogram.",
    grade=_grade_position,
    hint_text="`np.histogram` takes `bins=` as edges and `weights=`: make `bins + 1` edges from -1 to 1, weight "
              "each bin's pan by its energy, find the tallest bin, and return the middle of its two edges.",
    solution_code='''def tallest_position(pan, energy, bins):
    edges = np.linspace(-1, 1, bins + 1)
    hist, _ = np.histogram(pan, edges, weights=energy)
    k = np.argmax(hist)
    return (edges[k] + edges[k + 1]) / 2
''',
    wrong_code='''def tallest_position(pan, energy, bins):
    hist, edges = np.histogram(pan, np.linspace(-1, 1, bins + 1))   # counts, not energy
    k = np.argmax(hist)
    return (edges[k] + edges[k + 1]) / 2
''',
)


def centre_share_of(mask, power):
    """The share of a stem's energy that a (freqs, frames) mask keeps, power ``(channels, freqs, frames)``."""
    return float((mask * power).sum() / power.sum())


def _grade_share(answer, mask, power):
    if answer is None:
        return UNANSWERED
    if isinstance(answer, (bool, np.bool_)):
        return "expected a number, got a bool"
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return f"expected a number, got {type(answer).__name__}"
    if not 0 <= value <= 1:
        return "a share of energy is between 0 and 1 (not a percentage)"
    truth = centre_share_of(mask, power)
    if abs(value - truth) <= 0.005:
        return None
    if abs(value - float(np.mean(mask))) <= 0.005 and abs(float(np.mean(mask)) - truth) > 0.005:
        return "that is the mask's average over the bins: weight each bin by the stem's energy there"
    return "too large" if value > truth else "too small"


q3 = Exercise(
    NOTEBOOK, 3,
    missing="Store in `bass_kept` the share (0 to 1) of the real song's bass energy that the centre mask "
            "`real_mask` keeps.",
    grade=_grade_share,
    hint_text="The bass's power spectrogram is `|STFT|**2` of the true bass stem, (channels, freqs, frames); "
              "the mask is (freqs, frames) and serves both channels. Weight, sum, divide by the unweighted sum.",
    solution_code='''bass_power = spectral.stft(real_stems["bass"]).abs().numpy() ** 2
bass_kept = float((real_mask * bass_power).sum() / bass_power.sum())
''',
    wrong_code='''bass_kept = float(real_mask.mean())   # the mask's average, not the bass's energy
''',
)
