"""Exercises of notebook 08_leaderboard: checks, hints and solutions."""
import numpy as np

from .. import methods, metrics
from . import Exercise, close

NOTEBOOK = "08_leaderboard"


def _grade_best_bass(answer, sdr, separators):
    if not isinstance(answer, str) or answer not in sdr.index:
        return f"{answer!r} is not a method of the leaderboard"
    if answer in methods.names("oracle"):
        return "the oracles do not count: they are given the true stems"
    if answer not in separators:
        return f"{answer!r} is the floor, not a separator"
    if np.isnan(sdr.loc[answer, "bass"]):
        return f"{answer!r} gives no bass estimate"
    truth = sdr.loc[separators, "bass"].idxmax()
    return None if answer == truth else "another method has a higher median SDR on bass"


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Put the name of the best non-oracle method on bass in `best_bass`, e.g. \"nmf\".",
    grade=_grade_best_bass,
    hint_text="`sdr` holds the median SDR per method and stem; `separators` lists the methods that "
              "are neither the floor nor an oracle. Select those rows and the bass column.",
    solution_code='best_bass = sdr.loc[separators, "bass"].idxmax()\n',
    wrong_code='best_bass = sdr["bass"].idxmax()  # forgets to leave out the oracles\n',
)


def _grade_vocals_margin(answer, sdr, learned):
    truth = sdr.loc[learned, "vocals"].max() - sdr.loc["mixture", "vocals"]
    return close(answer, truth, tol=0.01)


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Store in `vocals_margin` how many dB the best learned model's vocals SDR is above the mixture's.",
    grade=_grade_vocals_margin,
    hint_text="A margin over the floor is a difference: the best learned model's vocals SDR "
              "(FAMILIES['learned'] rows of `sdr`) minus the mixture's vocals SDR. The mixture's is negative.",
    solution_code='vocals_margin = sdr.loc[FAMILIES["learned"], "vocals"].max() - sdr.loc["mixture", "vocals"]\n',
    wrong_code='vocals_margin = sdr.loc[FAMILIES["learned"], "vocals"].max()  # its margin over silence, not over the floor\n',
)


def _grade_half_loud(answer, reference):
    try:
        sdr_db, si_sdr_db = (float(v) for v in answer)
    except (TypeError, ValueError):
        return "expected two numbers, (plain SDR in dB, SI-SDR in dB)"
    half = 0.5 * np.asarray(reference)
    wrong = close(sdr_db, float(metrics.sdr(half, reference)), tol=0.05)
    if wrong:
        return f"the plain SDR is {wrong} (is 1/2 a ratio of amplitudes or of energies?)"
    if si_sdr_db < 0.9 * float(np.mean(metrics.si_sdr(half, reference))):
        return "the SI-SDR is too small: what is left of the error once the reference is rescaled?"
    return None


q3 = Exercise(
    NOTEBOOK, 3,
    missing="Store `(plain SDR, SI-SDR)` of the half-amplitude vocals, both in dB, in `half_loud`.",
    grade=_grade_half_loud,
    hint_text="Plain SDR: the error is s - s/2 = s/2, so the ratio of energies is ||s||² / ||s/2||². "
              "SI-SDR first scales the reference by α = <ŝ, s> / ||s||²: what is α here, and what error remains?",
    solution_code='''v = refs["vocals"]
half_loud = (float(metrics.sdr(0.5 * v, v)), float(np.mean(metrics.si_sdr(0.5 * v, v))))
''',
    wrong_code='''half_loud = (10 * np.log10(1 / 0.5), 10 * np.log10(1 / 0.5))  # an amplitude ratio taken as an energy ratio
''',
)
