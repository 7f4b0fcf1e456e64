"""Exercises of notebook 00_getting_started: checks, hints and solutions.

Both answers are functions: the checks run them on the track of the notebook and on signals
the notebook never shows (a stem loud in one channel only, a single loud click, windows just
above and below the threshold), so a name or a number read off a printed table does not pass.
"""
import numpy as np

from ..stems import STEMS
from . import UNANSWERED, Exercise, close, not_a_function, uses

NOTEBOOK = "00_getting_started"


def _rms(x):
    return float(np.sqrt(np.mean(np.asarray(x, dtype=np.float64) ** 2)))


def _loudness_cases():
    """Stem dicts where the loudest by RMS over both channels is not the loudest by another
    measure (peak, mean absolute value, the left channel alone, the right channel alone)."""
    rng = np.random.default_rng(7)
    n = 1000
    sine = np.sin(2 * np.pi * np.arange(n) / 50)
    quiet = 0.01 * rng.standard_normal((2, n))
    cases = []
    # a click: the highest peak, a low RMS
    click = np.zeros((2, n)); click[:, 500] = 0.99
    cases.append({"drums": click, "bass": 0.3 * np.stack([sine, sine]), "other": quiet, "vocals": 0.5 * quiet})
    # right channel only (RMS over both: 0.5 / sqrt 2 / sqrt 2 = 0.35) against 0.3 in both
    cases.append({"drums": quiet, "bass": 0.25 * np.stack([sine, sine]),
                  "other": np.stack([0 * sine, 0.7 * sine]), "vocals": np.stack([0.42 * sine, 0 * sine])})
    # the left channel alone, mirrored
    cases.append({"drums": np.stack([0.7 * sine, 0 * sine]), "bass": quiet,
                  "other": np.stack([0 * sine, 0.42 * sine]), "vocals": 0.25 * np.stack([sine, sine])})
    # sparse bursts: high RMS, lower mean absolute value than a steady tone
    bursts = np.zeros((2, n)); bursts[:, ::5] = 0.9
    cases.append({"drums": 0.5 * quiet, "bass": quiet, "other": 0.3 * np.sign(np.stack([sine, sine])), "vocals": bursts})
    return [{s: c[s].astype(np.float32) for s in STEMS} for c in cases]


def _grade_loudest(loudest, stems):
    wrong = not_a_function(loudest, "loudest")
    if wrong:
        return wrong
    answer = loudest(stems)
    if answer is None:
        return UNANSWERED
    for case in [stems, *_loudness_cases()]:
        answer = loudest(case)
        if answer not in case:
            return f"{answer!r} is not one of the stems {list(case)}"
        if _rms(case[answer]) < max(_rms(x) for x in case.values()) - 1e-9:
            return ("on some stems it picks one that is not the loudest by RMS over both channels "
                    "(check the peak, one channel, the mean absolute value)")
    return None


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Make `loudest(stems)` return the name of the stem with the highest RMS level.",
    grade=_grade_loudest,
    hint_text="RMS: the square root of the mean of the squared samples, over both channels together "
              "(section 4's `rms_db` gives it in dB). Keep the name whose value is the largest.",
    solution_code='''def loudest(stems):
    return max(stems, key=lambda s: np.sqrt(np.mean(stems[s].astype(np.float64) ** 2)))
''',
    wrong_code='''def loudest(stems):
    return min(stems, key=lambda s: np.sqrt(np.mean(stems[s] ** 2)))  # the quietest
''',
    more_wrong=(
        '''def loudest(stems):
    return max(stems, key=lambda s: np.abs(stems[s]).max())  # the highest peak, not the RMS
''',
        '''def loudest(stems):
    return max(stems, key=lambda s: np.sqrt(np.mean(stems[s][0] ** 2)))  # the left channel only
''',
        '''def loudest(stems):
    return max(stems, key=lambda s: np.mean(np.abs(stems[s])))  # mean absolute value
''',
        '''def loudest(stems):
    return "bass"  # a name read off the printed levels
''',
    ),
)


def _silent_fraction(x, rate, window_seconds=0.1, below_db=40.0):
    """Fraction of windows of ``x`` (channels, samples) more than ``below_db`` under the loudest
    (the checker's own, private: the exercise is to write it)."""
    win = int(rate * window_seconds)
    frames = np.asarray(x)[:, : x.shape[1] // win * win].reshape(x.shape[0], -1, win)
    energy_db = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=(0, 2)) + 1e-12)
    return float(np.mean(energy_db < energy_db.max() - below_db))


def has_rests(vocals, rate):
    """Whether some, but not all, of the 100 ms windows of ``vocals`` are silent (more than
    40 dB under the loudest window): a yes or no, not the fraction exercise 2 asks for.

    Args:
        vocals (np.ndarray): ``(channels, samples)``
        rate (int): sample rate in Hz

    Returns:
        bool
    """
    return 0 < _silent_fraction(vocals, rate) < 1


def _silence_cases():
    """Signals whose windows sit at chosen levels: 0, -30 and -50 dB, one loud channel, and a
    loud remainder shorter than a window (to drop)."""
    rate, win = 1000, 100
    rng = np.random.default_rng(3)
    cases = []
    for levels_db, right_only, tail in [([0, -50, -50, -30, 0, -60, -20, 0, -45, -35], [3], 0.9),
                                        ([0, -38, -42, -70, -10, -70, -3, -41], [1, 4], 0.0),
                                        ([-5, 0, -100, -100, -39, -30, -60, -15, -25, -90], [2], 1.0)]:
        x = np.concatenate([10 ** (db / 20) * rng.standard_normal((2, win)) for db in levels_db], axis=1)
        for i in right_only:          # the left channel silent here: the window is not
            x[0, i * win:(i + 1) * win] = 0.0
            x[1, i * win:(i + 1) * win] *= np.sqrt(2)
        x = np.concatenate([x, tail * rng.standard_normal((2, win // 2))], axis=1)
        cases.append((x.astype(np.float32), rate))
    return cases


def _grade_silent(silent_fraction, vocals, rate):
    wrong = not_a_function(silent_fraction, "silent_fraction")
    if wrong:
        return wrong
    if silent_fraction(vocals, rate) is None:
        return UNANSWERED
    if uses(silent_fraction, modules=("seplib.exercises",), names=("_silent_fraction", "has_rests", "silent_fraction_of")):
        return "it calls the checker's own code: compute the windows and their levels yourself"
    for x, r in [(vocals, rate), *_silence_cases()]:
        reason = close(silent_fraction(x, r), _silent_fraction(x, r), tol=1e-6)
        if reason:
            where = "on the vocals" if x is vocals else "on a test signal"
            return (f"{where}: {reason} (windows of rate // 10 samples, the remainder dropped, the energy "
                    "over both channels, in dB as 10 log10, compared with the loudest window)")
    return None


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Make `silent_fraction(x, rate)` return the fraction (0 to 1) of the 100 ms windows of "
            "`x` more than 40 dB below the loudest window.",
    grade=_grade_silent,
    hint_text="Cut x into windows of rate // 10 samples (drop the remainder), take the mean "
              "energy of each window over both channels, convert to dB (10 log10 of an energy), "
              "compare with the maximum.",
    solution_code='''def silent_fraction(x, rate):
    win = rate // 10
    frames = x[:, : x.shape[1] // win * win].reshape(x.shape[0], -1, win).astype(np.float64)
    energy_db = 10 * np.log10(np.mean(frames ** 2, axis=(0, 2)) + 1e-12)
    return float(np.mean(energy_db < energy_db.max() - 40))
''',
    wrong_code='''def silent_fraction(x, rate):
    win = rate // 10
    frames = x[:, : x.shape[1] // win * win].reshape(x.shape[0], -1, win).astype(np.float64)
    energy_db = 10 * np.log10(np.mean(frames ** 2, axis=(0, 2)) + 1e-12)
    return float(np.mean(energy_db < energy_db.max() - 10))  # 10 dB instead of 40
''',
    more_wrong=(
        '''def silent_fraction(x, rate):
    win = rate // 10
    frames = x[0, : x.shape[1] // win * win].reshape(-1, win).astype(np.float64)  # left channel only
    energy_db = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-12)
    return float(np.mean(energy_db < energy_db.max() - 40))
''',
        '''def silent_fraction(x, rate):
    win = rate // 10
    frames = x[:, : x.shape[1] // win * win].reshape(x.shape[0], -1, win).astype(np.float64)
    energy_db = 20 * np.log10(np.mean(frames ** 2, axis=(0, 2)) + 1e-12)  # 20 log10 of an energy
    return float(np.mean(energy_db < energy_db.max() - 40))
''',
        '''def silent_fraction(x, rate):
    win = rate // 10
    padded = np.pad(x, ((0, 0), (0, -x.shape[1] % win)))  # keeps the remainder as a window
    frames = padded.reshape(x.shape[0], -1, win).astype(np.float64)
    energy_db = 10 * np.log10(np.mean(frames ** 2, axis=(0, 2)) + 1e-12)
    return float(np.mean(energy_db < energy_db.max() - 40))
''',
        '''def silent_fraction(x, rate):
    return 0.25  # a number read off, or guessed
''',
        '''def silent_fraction(x, rate):
    return ex._silent_fraction(x, rate)  # the checker's own code
''',
    ),
)
