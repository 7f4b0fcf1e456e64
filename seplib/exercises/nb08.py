"""Exercises of notebook 08_leaderboard: checks, hints and solutions.

Every answer is a function, run on the notebook's leaderboard for every stem and on tables it
never shows (an oracle or the floor on top, a method with no estimate of a stem listed first,
two methods tied), or on signals whose channels differ in level, so a name or a number read
off the printed leaderboard does not pass.
"""
import numpy as np
import pandas as pd

from ..stems import STEMS
from . import UNANSWERED, Exercise, close, not_a_function, uses

NOTEBOOK = "08_leaderboard"


def _tables():
    """Held-out ``(sdr, separators, learned)``: leaderboards the notebook never prints."""
    rows = ["mixture", "oracle-irm", "oracle-wiener", "hpss", "nmf", "unet", "dprnn"]
    sdr = pd.DataFrame({"vocals": [-6.0, 9.0, 9.5, np.nan, 0.5, 3.2, 2.9],
                        "drums": [-2.0, 8.0, 8.4, 1.5, 1.1, 4.0, 4.0],      # a tie between two learned models
                        "bass": [1.5, 7.0, 7.3, np.nan, 0.8, 0.2, 1.4],     # the floor above every separator
                        "other": [-4.0, 5.0, 4.1, -1.0, -0.5, -2.0, -3.5]}, index=rows)
    separators = ["hpss", "nmf", "unet", "dprnn"]                           # hpss (no bass) first
    other = sdr.rename(index={"unet": "demucs", "dprnn": "open-unmix"}).iloc[[0, 1, 2, 6, 5, 4, 3]]
    return [(sdr, separators, ["unet", "dprnn"]), (other, ["open-unmix", "demucs", "nmf", "hpss"], ["demucs", "open-unmix"])]


def _best(sdr, stem, separators):
    column = sdr.loc[separators, stem].astype(float)
    return set(column.index[column == column.max()])


def _grade_best_bass(best_separator, sdr, separators):
    wrong = not_a_function(best_separator, "best_separator")
    if wrong:
        return wrong
    if best_separator(sdr, "bass", list(separators)) is None:
        return UNANSWERED
    for k, (table, seps, _) in enumerate([(sdr, list(separators), None), *_tables()]):
        for stem in STEMS:
            if table.loc[seps, stem].isna().all():
                continue
            answer = best_separator(table, stem, list(seps))
            if answer not in _best(table, stem, seps):
                where = "the leaderboard" if k == 0 else "a test table"
                why = ""
                if answer in table.index and answer not in seps:
                    why = f" ({answer!r} is not among the separators)"
                elif answer in seps and np.isnan(table.loc[answer, stem]):
                    why = f" ({answer!r} has no {stem} estimate)"
                return f"on {where}, {stem}: {answer!r} is not the separator with the highest median SDR{why}"
    return None


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Make `best_separator(sdr, stem, separators)` return the name of the separator with the "
            "highest median SDR on `stem`.",
    grade=_grade_best_bass,
    hint_text="`sdr` holds the median SDR per method (rows) and stem (columns); `separators` lists the "
              "methods that are neither the floor nor an oracle. Select those rows and the stem's column; "
              "a method with no estimate of that stem has NaN there. Where two tie, either is right.",
    solution_code='''def best_separator(sdr, stem, separators):
    return sdr.loc[separators, stem].idxmax()
''',
    wrong_code='''def best_separator(sdr, stem, separators):
    return sdr[stem].idxmax()  # forgets to leave out the oracles
''',
    more_wrong=(
        '''def best_separator(sdr, stem, separators):
    return sdr.loc[separators, stem].idxmin()  # the lowest
''',
        '''def best_separator(sdr, stem, separators):
    return max(separators, key=lambda m: sdr.loc[m, stem])  # NaN compares as neither larger nor smaller
''',
        '''def best_separator(sdr, stem, separators):
    return sdr.loc[separators].mean(axis=1).idxmax()  # the best on average, not on this stem
''',
        '''def best_separator(sdr, stem, separators):
    return "unet"  # a name read off the leaderboard
''',
    ),
)


def _margin(sdr, stem, methods):
    return float(sdr.loc[methods, stem].max() - sdr.loc["mixture", stem])


def _grade_vocals_margin(margin_over_floor, sdr, learned):
    wrong = not_a_function(margin_over_floor, "margin_over_floor")
    if wrong:
        return wrong
    if margin_over_floor(sdr, "vocals", list(learned)) is None:
        return UNANSWERED
    for k, (table, _, methods) in enumerate([(sdr, None, list(learned)), *_tables()]):
        for stem in STEMS:
            truth = _margin(table, stem, methods)
            if np.isnan(truth):
                continue
            reason = close(margin_over_floor(table, stem, list(methods)), truth, tol=1e-6)
            if reason:
                return f"on {'the leaderboard' if k == 0 else 'a test table'}, {stem}: {reason}"
    return None


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Make `margin_over_floor(sdr, stem, methods)` return how many dB the best of `methods` is "
            "above the mixture on `stem`.",
    grade=_grade_vocals_margin,
    hint_text="A margin over the floor is a difference: the best of the methods' SDRs on the stem "
              "minus the mixture's SDR on it (the `mixture` row). The mixture's is often negative.",
    solution_code='''def margin_over_floor(sdr, stem, methods):
    return sdr.loc[methods, stem].max() - sdr.loc["mixture", stem]
''',
    wrong_code='''def margin_over_floor(sdr, stem, methods):
    return sdr.loc[methods, stem].max()  # its margin over silence, not over the floor
''',
    more_wrong=(
        '''def margin_over_floor(sdr, stem, methods):
    return sdr.loc[methods, stem].mean() - sdr.loc["mixture", stem]  # the average method, not the best
''',
        '''def margin_over_floor(sdr, stem, methods):
    return sdr.loc[methods, stem].max() + sdr.loc["mixture", stem]  # a sign lost
''',
        '''def margin_over_floor(sdr, stem, methods):
    return sdr[stem].max() - sdr.loc["mixture", stem]  # the best of every row: an oracle
''',
        '''def margin_over_floor(sdr, stem, methods):
    return 9.4  # a number worked out from the printed leaderboard
''',
    ),
)


def _pairs():
    """Stereo ``(estimate, reference)`` pairs: a gain and noise, channels at different levels."""
    rng = np.random.default_rng(12)
    ref = rng.standard_normal((2, 800))
    ref[1] *= 0.1                                                     # a quiet right channel
    noise = rng.standard_normal((2, 800))
    return [(0.5 * ref + 0.2 * noise, ref), (1.5 * ref + 0.05 * noise, ref),
            (np.stack([0.5 * ref[0], 2.0 * ref[1]]) + 0.02 * noise, ref), (ref + noise, ref)]


def _reference_pair(estimate, reference):
    from .. import metrics

    return float(metrics.sdr(estimate, reference)), float(np.mean(metrics.si_sdr(estimate, reference)))


def _grade_half_loud(sdr_pair, reference):
    wrong = not_a_function(sdr_pair, "sdr_pair")
    if wrong:
        return wrong
    rng = np.random.default_rng(13)
    given = np.asarray(reference, dtype=np.float64)
    noisy = 0.5 * given + 0.1 * float(np.std(given)) * rng.standard_normal(given.shape)
    if sdr_pair(noisy, given) is None:
        return UNANSWERED
    if uses(sdr_pair, modules=("seplib.metrics", "seplib.losses", "museval", "mir_eval", "torchmetrics",
                               "torchaudio", "fast_bss_eval")):
        return "it calls a metrics library: write both ratios from their formulas"
    for k, (e, r) in enumerate([(noisy, given), *_pairs()]):
        try:
            sdr_db, si_sdr_db = (float(v) for v in sdr_pair(e, r))
        except (TypeError, ValueError):
            return "expected two numbers, (plain SDR in dB, SI-SDR in dB)"
        want_sdr, want_si = _reference_pair(e, r)
        where = "on the vocals plus noise" if k == 0 else "on a test pair"
        if np.isnan(want_sdr) or np.isnan(want_si):   # a silent reference channel: no score to compare
            continue
        wrong = close(sdr_db, want_sdr, tol=0.01)
        if wrong:
            return f"{where}: the plain SDR is {wrong} (is 1/2 a ratio of amplitudes or of energies? both channels?)"
        wrong = close(si_sdr_db, want_si, tol=0.01)
        if wrong:
            return (f"{where}: the SI-SDR is {wrong} (the reference scaled by alpha = <est, ref> / ||ref||^2, "
                    "channel by channel, then the mean of the two channels' values)")
    return None


q3 = Exercise(
    NOTEBOOK, 3,
    missing="Make `sdr_pair(est, ref)` return `(plain SDR, SI-SDR)` in dB, from their formulas.",
    grade=_grade_half_loud,
    hint_text="Plain SDR: 10 log10 of ||s||^2 / ||s - est||^2, both sums over channels and samples. "
              "SI-SDR, per channel: alpha = <est, s> / ||s||^2, then 10 log10 ||alpha s||^2 / ||est - alpha s||^2; "
              "average the two channels' values.",
    solution_code='''def sdr_pair(est, ref):
    est, ref = np.asarray(est, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    sdr_db = 10 * np.log10(np.sum(ref ** 2) / np.sum((ref - est) ** 2))
    alpha = np.sum(est * ref, axis=-1, keepdims=True) / np.sum(ref ** 2, axis=-1, keepdims=True)
    target = alpha * ref
    si_sdr_db = np.mean(10 * np.log10(np.sum(target ** 2, axis=-1) / np.sum((est - target) ** 2, axis=-1)))
    return float(sdr_db), float(si_sdr_db)
''',
    wrong_code='''def sdr_pair(est, ref):
    return 10 * np.log10(1 / 0.5), 10 * np.log10(1 / 0.5)  # an amplitude ratio taken as an energy ratio
''',
    more_wrong=(
        '''def sdr_pair(est, ref):
    return 6.02, float("inf")  # the half-loud case worked out, and nothing else
''',
        '''def sdr_pair(est, ref):
    est, ref = np.asarray(est, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    sdr_db = 10 * np.log10(np.sum(ref ** 2) / np.sum((ref - est) ** 2))
    alpha = np.sum(est * ref) / np.sum(ref ** 2)  # one alpha for both channels
    si_sdr_db = 10 * np.log10(np.sum((alpha * ref) ** 2) / np.sum((est - alpha * ref) ** 2))
    return float(sdr_db), float(si_sdr_db)
''',
        '''def sdr_pair(est, ref):
    est, ref = np.asarray(est, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    sdr_db = 10 * np.log10(np.sum(ref ** 2) / np.sum((ref - est) ** 2))
    beta = np.sum(est * ref, axis=-1, keepdims=True) / np.sum(est ** 2, axis=-1, keepdims=True)
    scaled = beta * est  # scales the estimate instead of the reference
    si_sdr_db = np.mean(10 * np.log10(np.sum(ref ** 2, axis=-1) / np.sum((scaled - ref) ** 2, axis=-1)))
    return float(sdr_db), float(si_sdr_db)
''',
        '''def sdr_pair(est, ref):
    est, ref = np.asarray(est, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    per_channel = 10 * np.log10(np.sum(ref ** 2, axis=-1) / np.sum((ref - est) ** 2, axis=-1))
    alpha = np.sum(est * ref, axis=-1, keepdims=True) / np.sum(ref ** 2, axis=-1, keepdims=True)
    target = alpha * ref
    si_sdr_db = np.mean(10 * np.log10(np.sum(target ** 2, axis=-1) / np.sum((est - target) ** 2, axis=-1)))
    return float(np.mean(per_channel)), float(si_sdr_db)  # plain SDR channel by channel, then averaged
''',
        '''def sdr_pair(est, ref):
    return float(metrics.sdr(est, ref)), float(np.mean(metrics.si_sdr(est, ref)))  # the library's
''',
    ),
)
