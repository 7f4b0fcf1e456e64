"""Exercises of notebook 01_stft_and_masks: checks, hints and solutions."""
import numpy as np
import torch

from . import UNANSWERED, Exercise, close

NOTEBOOK = "01_stft_and_masks"


def _grade_bin_hz(answer, rate):
    return close(answer, rate / 2048, tol=0.01)


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Store in `bin_hz` how many Hz apart the bins of an STFT with n_fft=2048 are, at this track's rate.",
    grade=_grade_bin_hz,
    hint_text="Section 1: bin k is the frequency k * f_s / N Hz. What is the step from k to k + 1?",
    solution_code="bin_hz = rate / 2048\n",
    wrong_code="bin_hz = rate / 2 / 2048  # the Nyquist frequency over N: half the step\n",
)


def _grade_irm(my_irm, mags):
    answer = my_irm(mags)
    if answer is None:
        return UNANSWERED
    if not isinstance(answer, dict) or set(answer) != set(mags):
        return f"expected a dict with the keys {sorted(mags)}"
    for stem, m in mags.items():
        got = torch.as_tensor(answer[stem])
        if tuple(got.shape) != tuple(m.shape):
            return f"the {stem} mask has shape {tuple(got.shape)}, not that of its magnitude {tuple(m.shape)}"
    answer = {s: torch.as_tensor(answer[s]).double() for s in mags}
    if any(bool(torch.isnan(m).any()) for m in answer.values()):
        return "some mask values are NaN (a bin where every stem is silent?)"
    total = sum(answer.values())
    if not torch.allclose(total, torch.ones_like(total), atol=1e-4):
        return "the masks do not sum to one over the stems in every bin"
    mag_total = sum(m.double() for m in mags.values())
    sounding = mag_total > 1e-8          # where some stem sounds, the definition decides
    worst = max(float((answer[s] - mags[s].double() / mag_total.clamp_min(1e-8))[sounding].abs().max())
                for s in mags)
    if worst > 1e-4:
        return "the masks sum to one but do not share the bins in proportion to the magnitudes"
    return None


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Make `my_irm(mags)` return a dict `{stem: mask}` of ideal ratio masks.",
    grade=_grade_irm,
    hint_text="Divide each stem's magnitude by the sum of all the stems' magnitudes, bin by bin; where "
              "the sum is zero, any split that sums to one will do (e.g. equal shares).",
    solution_code='''def my_irm(mags):
    total = sum(mags.values())
    share = 1.0 / len(mags)
    return {s: torch.where(total > 0, m / total.clamp_min(1e-12), share) for s, m in mags.items()}
''',
    wrong_code='''def my_irm(mags):
    total = sum(m ** 2 for m in mags.values())  # shares power: that is the Wiener mask
    share = 1.0 / len(mags)
    return {s: torch.where(total > 0, m ** 2 / total.clamp_min(1e-12), share) for s, m in mags.items()}
''',
)


def best_gain_of(estimate, reference):
    """The gain g that maximises the plain SDR of g * estimate: <estimate, reference> / ||estimate||^2."""
    e = np.asarray(estimate, dtype=np.float64).ravel()
    r = np.asarray(reference, dtype=np.float64).ravel()
    return float(np.dot(e, r) / np.dot(e, e))


def _grade_gain(answer, estimate, reference):
    return close(answer, best_gain_of(estimate, reference), tol=1e-3)


q3 = Exercise(
    NOTEBOOK, 3,
    missing="Store in `best_gain` the gain g for which the plain SDR of `g * est` against `ref` is highest.",
    grade=_grade_gain,
    hint_text="The plain SDR is highest where the error energy ||ref - g * est||^2 is lowest: set its "
              "derivative with respect to g to zero. SI-SDR's alpha scales the reference, not the estimate.",
    solution_code='''e, r = est.ravel().astype(np.float64), ref.ravel().astype(np.float64)
best_gain = float(np.dot(e, r) / np.dot(e, e))
''',
    wrong_code='''e, r = est.ravel().astype(np.float64), ref.ravel().astype(np.float64)
best_gain = float(np.dot(e, r) / np.dot(r, r))  # SI-SDR's alpha: it scales the reference
''',
)
