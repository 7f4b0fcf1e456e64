"""Exercises of notebook 10_panning: checks, hints and solutions.

Each check runs the student's function on inputs of its own (never the notebook's), with the
edge cases a pan position has: hard left, hard right, the centre, and silent bins.
"""
import numpy as np

from . import UNANSWERED, Exercise, not_a_function

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


def _share_truth(mask, x):
    from ..spectral import stft

    return centre_share_of(mask, stft(x).abs().numpy().astype(np.float64) ** 2)


def _share_cases(mask=None, x=None):
    """The notebook's mask and bass (when given), then inputs the notebook never shows: a random
    mask on noise whose energy sits where the mask is large, a signal silent in one channel, and
    the all-pass and all-stop masks."""
    from ..spectral import stft

    cases = [] if mask is None or x is None else [(np.asarray(mask), np.asarray(x, dtype=np.float32))]
    rng = np.random.default_rng(77)
    t = np.arange(22050) / 44100
    tone = np.stack([np.sin(2 * np.pi * 3000 * t), 0.3 * np.sin(2 * np.pi * 300 * t)]).astype(np.float32)
    freqs, frames = stft(tone).shape[-2:]
    ramp = np.linspace(0, 1, freqs)[:, None] * np.ones((1, frames))       # keeps the highs, drops the lows
    one_side = np.stack([rng.standard_normal(t.size), np.zeros(t.size)]).astype(np.float32)
    cases += [(ramp, tone), (rng.uniform(0, 1, (freqs, frames)), one_side),
              (np.ones((freqs, frames)), tone), (np.zeros((freqs, frames)), one_side)]
    return cases


def _grade_share(share_kept, mask=None, x=None):
    if share_kept is None:
        return UNANSWERED
    problem = not_a_function(share_kept, "share_kept")
    if problem:
        return problem
    for i, (m, sig) in enumerate(_share_cases(mask, x)):
        try:
            value = share_kept(m.copy(), sig.copy())
        except Exception as err:  # noqa: BLE001 - the student's code, reported in one line
            return f"share_kept raised {type(err).__name__}: {err}"
        if value is None:
            return UNANSWERED
        if isinstance(value, (bool, np.bool_)) or np.ndim(value) != 0:
            return f"share_kept should return one number, got {type(value).__name__} {np.shape(value)}"
        value, truth = float(value), _share_truth(m, sig)
        if not np.isfinite(value):
            return "share_kept gave NaN or infinity"
        if not -1e-4 <= value <= 1 + 1e-4:
            return "a share of energy is between 0 and 1 (not a percentage)"
        if abs(value - truth) <= 1e-3:
            continue
        if abs(value - float(np.mean(m))) <= 1e-3:
            return "that is the mask's average over the bins: weight each bin by the stem's energy there"
        return ("not the right share on an input of the check's own (energy is |STFT|^2, summed over both "
                "channels, every bin weighted by the mask)" if i or mask is None else
                "not the right share for the real song's bass")
    return None


q3 = Exercise(
    NOTEBOOK, 3,
    missing="Make `share_kept(mask, x)` return the share (0 to 1) of the energy of `x` (channels, samples) "
            "that a (freqs, frames) mask keeps.",
    grade=_grade_share,
    hint_text="The power spectrogram is `spectral.stft(x).abs().numpy() ** 2`, (channels, freqs, frames); the "
              "mask is (freqs, frames) and serves both channels. Weight, sum, divide by the unweighted sum.",
    solution_code='''def share_kept(mask, x):
    power = spectral.stft(x).abs().numpy() ** 2
    return float((mask * power).sum() / power.sum())
''',
    wrong_code='''def share_kept(mask, x):
    return float(np.mean(mask))   # the mask's average, not the energy it keeps
''',
    more_wrong=(
        '''def share_kept(mask, x):
    magnitude = spectral.stft(x).abs().numpy()   # magnitude, not energy
    return float((mask * magnitude).sum() / magnitude.sum())
''',
        '''def share_kept(mask, x):
    power = spectral.stft(x[:1]).abs().numpy() ** 2   # the left channel only
    return float((mask * power).sum() / power.sum())
''',
        '''def share_kept(mask, x):
    power = spectral.stft(x).abs().numpy() ** 2
    return 100 * float((mask * power).sum() / power.sum())   # a percentage
''',
        '''def share_kept(mask, x):
    return 0.81   # a number read off a printed table
''',
    ),
)
