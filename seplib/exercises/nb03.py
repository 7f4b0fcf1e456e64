"""Exercises of notebook 03_repet_sim: checks, hints and solutions."""
import numpy as np

from . import Exercise, close

NOTEBOOK = "03_repet_sim"


def _grade_period(answer, period, hop, rate):
    return close(answer, period * hop / rate, tol=1e-3)


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Store the period's length in seconds in `period_seconds`.",
    grade=_grade_period,
    hint_text="A frame is `hop` samples long, and there are `rate` samples in a second.",
    solution_code="period_seconds = period * hop / rate\n",
    wrong_code="period_seconds = period / rate  # forgets that a frame is hop samples\n",
)

DENSE = [0, 1, 2, 4, 5, 6]
"""Six of the eight segments: the voice fills most of them."""


def dense_sdr_of(constructed_song, repet_vocals, voiced=DENSE):
    """The vocals SDR of median REPET on the constructed song with the voice in ``voiced``."""
    from seplib import metrics
    from seplib.classical import repet

    song, voice = constructed_song(voiced=voiced)
    return metrics.sdr(repet_vocals(song, repet.repeating_model), voice)


def _grade_dense(answer, constructed_song, repet_vocals):
    # any six segments give nearly the same SDR: the median takes the voice in wherever it is
    return close(answer, dense_sdr_of(constructed_song, repet_vocals), tol=0.5)


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Store in `dense_sdr` the vocals SDR (dB) of median REPET on the song with the phrase "
            "in 6 of the 8 segments.",
    grade=_grade_dense,
    hint_text="`song, voice = constructed_song(voiced=[...six indices from 0 to 7...])`, then "
              "`metrics.sdr(repet_vocals(song, repet.repeating_model), voice)`. Where the voice sounds "
              "in most segments, the median of the segments contains the voice.",
    solution_code='''song, voice = constructed_song(voiced=[0, 1, 2, 4, 5, 6])
dense_sdr = metrics.sdr(repet_vocals(song, repet.repeating_model), voice)
# About 0 dB: where the voice fills most segments the median is loop + voice, so the mask
# gives (nearly) everything to the background and the vocal estimate is (nearly) silent;
# 0 dB is the SDR of an empty estimate. The median ignores a foreground only while it is sparse.
''',
    wrong_code='''song, voice = constructed_song(voiced=[1, 5])  # still 2 segments, as in section 4
dense_sdr = metrics.sdr(repet_vocals(song, repet.repeating_model), voice)
''',
)

_k_scores = {}


def k_scores(mixture, vocals, rate, ks=(10, 80)):
    """Vocals SDR of REPET-SIM for each k (cached per mixture: the check may run more than once)."""
    from seplib import metrics, separate

    key = (mixture.shape, float(np.sum(mixture, dtype=np.float64)), tuple(ks))
    if key not in _k_scores:
        _k_scores[key] = {k: metrics.sdr(separate("repet-sim", mixture, rate, k=k)["vocals"], vocals) for k in ks}
    return _k_scores[key]


def _grade_k(answer, mixture, vocals, rate):
    if answer not in (10, 80):
        return f"{answer!r} is neither 10 nor 80"
    scores = k_scores(mixture, vocals, rate)
    return None if answer == max(scores, key=scores.get) else "that k gives the lower vocals SDR on this track"


q3 = Exercise(
    NOTEBOOK, 3,
    missing="Store in `best_k` the value of k (10 or 80) that gives the higher vocals SDR.",
    grade=_grade_k,
    hint_text="Separate twice with `separate(\"repet-sim\", mixture, rate, k=k)` and compare "
              "`metrics.sdr(estimate[\"vocals\"], stems[\"vocals\"])`.",
    solution_code='''scores_k = {k: metrics.sdr(separate("repet-sim", mixture, rate, k=k)["vocals"], stems["vocals"])
            for k in (10, 80)}
best_k = max(scores_k, key=scores_k.get)
''',
    wrong_code='''scores_k = {k: metrics.sdr(separate("repet-sim", mixture, rate, k=k)["vocals"], stems["vocals"])
            for k in (10, 80)}
best_k = min(scores_k, key=scores_k.get)  # the lower one
''',
)
