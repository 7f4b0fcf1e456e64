"""Exercises of notebook 00_getting_started: checks, hints and solutions."""
import numpy as np

from .. import STEMS
from . import UNANSWERED, Exercise, close

NOTEBOOK = "00_getting_started"


def _grade_loudest(answer, levels):
    if answer not in STEMS:
        return f"{answer!r} is not one of the stems {STEMS}"
    truth = max(STEMS, key=lambda s: levels[s])
    return None if answer == truth else f"{answer!r} is not the stem with the highest RMS level"


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Put the name of the loudest stem (highest RMS) in `loudest`, e.g. \"drums\".",
    grade=_grade_loudest,
    hint_text="`levels` (section 4) holds every stem's RMS level in dBFS; the loudest has the largest.",
    solution_code='loudest = max(STEMS, key=lambda s: levels[s])\n',
    wrong_code='loudest = min(STEMS, key=lambda s: levels[s])\n',
)


def silent_fraction_of(x, rate, window_seconds=0.1, below_db=40.0):
    """Fraction of windows of ``x`` (channels, samples) more than ``below_db`` under the loudest."""
    win = int(rate * window_seconds)
    frames = x[:, : x.shape[1] // win * win].reshape(x.shape[0], -1, win)
    energy_db = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=(0, 2)) + 1e-12)
    return float(np.mean(energy_db < energy_db.max() - below_db))


def _grade_silent(answer, vocals, rate):
    return close(answer, silent_fraction_of(vocals, rate), tol=0.02)


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Store in `silent_fraction` the fraction (0 to 1) of 100 ms windows of the vocals "
            "more than 40 dB below the loudest window.",
    grade=_grade_silent,
    hint_text="Cut the vocals into windows of rate // 10 samples (drop the remainder), take the mean "
              "energy of each window over both channels, convert to dB, compare with the maximum.",
    solution_code='''win = rate // 10
frames = stems["vocals"][:, : stems["vocals"].shape[1] // win * win].reshape(2, -1, win)
energy_db = 10 * np.log10(np.mean(frames ** 2, axis=(0, 2)) + 1e-12)
silent_fraction = float(np.mean(energy_db < energy_db.max() - 40))
''',
    wrong_code='''win = rate // 10
frames = stems["vocals"][:, : stems["vocals"].shape[1] // win * win].reshape(2, -1, win)
energy_db = 10 * np.log10(np.mean(frames ** 2, axis=(0, 2)) + 1e-12)
silent_fraction = float(np.mean(energy_db < energy_db.max() - 10))  # 10 dB instead of 40
''',
)
