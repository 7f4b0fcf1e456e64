"""Exercises of notebook 03_repet_sim: checks, hints and solutions.

Exercises 1 and 2 are functions, run on inputs the notebook never shows (other periods and
hops; the phrase in other segments); exercise 3 asks for a number no cell prints.
"""
import numpy as np

from . import UNANSWERED, Exercise, close, not_a_function, uses

NOTEBOOK = "03_repet_sim"

PERIODS = [(86, 512, 44100), (40, 256, 22050), (1, 1024, 44100), (300, 100, 8000), (17, 441, 44100)]
"""``(frames, hop, rate)`` the conversion is checked on."""


def _grade_period(period_seconds, period, hop, rate):
    wrong = not_a_function(period_seconds, "period_seconds")
    if wrong:
        return wrong
    if period_seconds(period, hop, rate) is None:
        return UNANSWERED
    if uses(period_seconds, modules=("seplib.spectral", "librosa"), names=("frame_to_seconds", "frames_to_time")):
        return "it calls spectral.frame_to_seconds: write the conversion yourself"
    for frames, h, r in [(period, hop, rate), *PERIODS]:
        reason = close(period_seconds(frames, h, r), frames * h / r, tol=1e-9 + 1e-9 * frames * h / r)
        if reason:
            return f"for {frames} frames of hop {h} at {r} Hz: {reason}"
    return None


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Make `period_seconds(frames, hop, rate)` return the length in seconds of `frames` STFT frames.",
    grade=_grade_period,
    hint_text="A frame is `hop` samples long, and there are `rate` samples in a second.",
    solution_code='''def period_seconds(frames, hop, rate):
    return frames * hop / rate
''',
    wrong_code='''def period_seconds(frames, hop, rate):
    return frames / rate  # forgets that a frame is hop samples
''',
    more_wrong=(
        '''def period_seconds(frames, hop, rate):
    return frames * rate / hop  # upside down
''',
        '''def period_seconds(frames, hop, rate):
    return frames * hop  # samples, not seconds
''',
        '''def period_seconds(frames, hop, rate):
    return 2.32  # the number printed in section 2
''',
        '''def period_seconds(frames, hop, rate):
    return float(spectral.frame_to_seconds(frames, rate, hop=hop))  # the library's
''',
    ),
)

DENSE = [0, 1, 2, 4, 5, 6]
"""Six of the eight segments: the voice fills most of them."""

VOICINGS = [[3], [0, 1, 2, 4, 5, 6], [2, 3, 4, 5, 6, 7], [1, 6, 7]]
"""Which segments carry the phrase, for the held-out checks of exercise 2."""

_sdr_cache = {}


def median_sdr_of(constructed_song, repet_vocals, voiced):
    """The vocals SDR of median REPET on the constructed song with the voice in ``voiced``."""
    from seplib import metrics
    from seplib.classical import repet

    key = (id(constructed_song), id(repet_vocals), tuple(voiced))
    if key not in _sdr_cache:
        song, voice = constructed_song(voiced=list(voiced))
        _sdr_cache[key] = float(metrics.sdr(repet_vocals(song, repet.repeating_model), voice))
    return _sdr_cache[key]


def dense_sdr_of(constructed_song, repet_vocals, voiced=DENSE):
    """The vocals SDR of median REPET on the constructed song with the voice in ``voiced``."""
    return median_sdr_of(constructed_song, repet_vocals, voiced)


def _grade_dense(median_sdr, constructed_song, repet_vocals):
    wrong = not_a_function(median_sdr, "median_sdr")
    if wrong:
        return wrong
    if median_sdr(list(DENSE)) is None:
        return UNANSWERED
    for voiced in [DENSE, *VOICINGS]:
        reason = close(median_sdr(list(voiced)), median_sdr_of(constructed_song, repet_vocals, voiced), tol=0.01)
        if reason:
            return (f"with the phrase in segments {voiced}: {reason} (the song of `voiced`, REPET's median model, "
                    "the vocals estimate against the song's voice)")
    return None


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Make `median_sdr(voiced)` return the vocals SDR (dB) of median REPET on the song with the "
            "phrase in the segments `voiced`.",
    grade=_grade_dense,
    hint_text="`song, voice = constructed_song(voiced=voiced)`, then "
              "`metrics.sdr(repet_vocals(song, repet.repeating_model), voice)`. Where the voice sounds "
              "in most segments, the median of the segments contains the voice.",
    solution_code='''def median_sdr(voiced):
    song, voice = constructed_song(voiced=voiced)
    return metrics.sdr(repet_vocals(song, repet.repeating_model), voice)
# About 0 dB when the voice fills most segments: the median is then loop + voice, so the mask
# gives (nearly) everything to the background and the vocal estimate is (nearly) silent;
# 0 dB is the SDR of an empty estimate. The median ignores a foreground only while it is sparse.
''',
    wrong_code='''def median_sdr(voiced):
    song, voice = constructed_song(voiced=[1, 5])  # always the song of section 4
    return metrics.sdr(repet_vocals(song, repet.repeating_model), voice)
''',
    more_wrong=(
        '''def median_sdr(voiced):
    return 0.0  # the SDR of silence, guessed
''',
        '''def median_sdr(voiced):
    song, voice = constructed_song(voiced=voiced)
    return metrics.sdr(repet_vocals(song, segment_mean_model), voice)  # the mean model, not the median
''',
        '''def median_sdr(voiced):
    song, voice = constructed_song(voiced=voiced)
    return metrics.sdr(repet_vocals(song, repet.repeating_model), song)  # against the song, not the voice
''',
    ),
)

_k_scores = {}


def _k_scores_of(mixture, vocals, rate, ks=(10, 80)):
    """Vocals SDR of REPET-SIM for each k (cached per mixture: the check may run more than once)."""
    from seplib import metrics, separate

    key = (mixture.shape, float(np.sum(mixture, dtype=np.float64)), tuple(ks))
    if key not in _k_scores:
        _k_scores[key] = {k: float(metrics.sdr(separate("repet-sim", mixture, rate, k=k)["vocals"], vocals))
                          for k in ks}
    return _k_scores[key]


def _grade_k(answer, mixture, vocals, rate):
    scores = _k_scores_of(mixture, vocals, rate)
    if answer in (10, 80) and not isinstance(answer, float):
        return "store the difference of the two SDRs in dB, not the better k"
    return close(answer, scores[80] - scores[10], tol=0.01)


q3 = Exercise(
    NOTEBOOK, 3,
    missing="Store in `k_gain` how many dB higher the vocals SDR is with k=80 than with k=10 "
            "(negative if it is lower).",
    grade=_grade_k,
    hint_text="Separate twice with `separate(\"repet-sim\", mixture, rate, k=k)`, score each with "
              "`metrics.sdr(estimate[\"vocals\"], stems[\"vocals\"])`, subtract: k=80's minus k=10's.",
    solution_code='''scores_k = {k: metrics.sdr(separate("repet-sim", mixture, rate, k=k)["vocals"], stems["vocals"])
            for k in (10, 80)}
k_gain = float(scores_k[80] - scores_k[10])
''',
    wrong_code='''scores_k = {k: metrics.sdr(separate("repet-sim", mixture, rate, k=k)["vocals"], stems["vocals"])
            for k in (10, 80)}
k_gain = float(scores_k[10] - scores_k[80])  # the other way round
''',
    more_wrong=(
        '''k_gain = 0.0  # guessed: "k makes no difference"
''',
        '''scores_k = {k: metrics.sdr(separate("repet-sim", mixture, rate, k=k)["vocals"], mixture)
            for k in (10, 80)}
k_gain = float(scores_k[80] - scores_k[10])  # against the mixture, not the true vocals
''',
        '''scores_k = {k: metrics.sdr(separate("repet-sim", mixture, rate, k=k)["vocals"], stems["vocals"])
            for k in (10, 80)}
k_gain = float(scores_k[80] / scores_k[10])  # a ratio of two dB values, not their difference
''',
        '''scores_k = {k: metrics.sdr(separate("repet-sim", mixture, rate, k=k)["vocals"], stems["vocals"])
            for k in (10, 80)}
k_gain = max(scores_k, key=scores_k.get)  # the better k, not the difference
''',
    ),
)
