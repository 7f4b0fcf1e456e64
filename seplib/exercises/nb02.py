"""Exercises of notebook 02_hpss: checks, hints and solutions.

Every answer is a function, run on the notebook's data and on inputs it never shows: other
durations and hops (ties at half a frame included), spectrograms with flat regions where the
two medians tie, channels of different loudness, a bin exactly at the cut-off frequency.
"""
import numpy as np

from . import UNANSWERED, Exercise, close, not_a_function, uses

NOTEBOOK = "02_hpss"

DURATIONS = [(0.5, 44100, 1024), (0.5, 22050, 512), (0.25, 1000, 100), (0.35, 1000, 100), (0.33, 1000, 100),
             (1.0, 8000, 1024), (0.02, 44100, 4096), (0.45, 1000, 100), (2.0, 16000, 512)]
"""``(seconds, rate, hop)`` the filter length is checked on: 2.5, 3.5, 3.3 and 4.5 frames among them."""


def _frames(seconds, rate, hop):
    from ..classical import seconds_to_frames

    return seconds_to_frames(seconds, rate, hop=hop, odd=True)


def _grade_frames(filter_frames, rate, hop):
    wrong = not_a_function(filter_frames, "filter_frames")
    if wrong:
        return wrong
    if filter_frames(0.5, rate, hop) is None:
        return UNANSWERED
    if uses(filter_frames, modules=("seplib.classical", "librosa"), names=("seconds_to_frames",)):
        return "it calls classical.seconds_to_frames: write the conversion yourself"
    for seconds, r, h in [(0.5, rate, hop), *DURATIONS]:
        answer = filter_frames(seconds, r, h)
        if isinstance(answer, (bool, np.bool_)) or not float(answer).is_integer():
            return "a filter length is a whole number of frames"
        if int(answer) % 2 == 0:
            return f"for {seconds} s at rate {r}, hop {h}: an even length has no centre frame: make it odd"
        if int(answer) != _frames(seconds, r, h):
            return f"for {seconds} s at rate {r}, hop {h}: not the right number of frames"
    return None


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Make `filter_frames(seconds, rate, hop)` return the length in frames (an odd integer) of a "
            "harmonic filter of that duration.",
    grade=_grade_frames,
    hint_text="Frames are `hop` samples apart: a duration is seconds * rate / hop frames. Round to the "
              "nearest whole frame (at least one), then add one if the count is even (section 1).",
    solution_code='''def filter_frames(seconds, rate, hop):
    frames = max(1, round(seconds * rate / hop))
    return frames + 1 if frames % 2 == 0 else frames
''',
    wrong_code='''def filter_frames(seconds, rate, hop):
    return max(1, round(seconds * rate / hop))  # forgot to make it odd
''',
    more_wrong=(
        '''def filter_frames(seconds, rate, hop):
    frames = max(1, int(seconds * rate / hop))  # rounds down
    return frames + 1 if frames % 2 == 0 else frames
''',
        '''def filter_frames(seconds, rate, hop):
    frames = max(1, round(seconds * rate / hop))
    return frames - 1 if frames % 2 == 0 else frames  # odd, but downwards
''',
        '''def filter_frames(seconds, rate, hop):
    frames = max(1, int(np.ceil(seconds * rate / hop)))  # rounds up
    return frames + 1 if frames % 2 == 0 else frames
''',
        '''def filter_frames(seconds, rate, hop):
    return 23  # the count for 0.5 s at one rate and hop
''',
        '''def filter_frames(seconds, rate, hop):
    return classical.seconds_to_frames(seconds, rate, hop=hop, odd=True)  # the library's
''',
    ),
)


def hard_percussive_mask_of(V, L_h, L_p):
    """The hard percussive mask [P~ > H~] of section 4 (a tie is not percussive)."""
    from scipy.ndimage import median_filter

    H = median_filter(V, size=(1, 1, L_h), mode="reflect")
    P = median_filter(V, size=(1, L_p, 1), mode="reflect")
    return P > H


def _hard_cases():
    """``(V, L_h, L_p)`` the mask is checked on: random (its edges show the padding), flat (every
    bin a tie) and striped (vertical lines on a flat floor, ties between them)."""
    rng = np.random.default_rng(2)
    striped = np.full((2, 12, 20), 0.5)
    striped[:, :, ::6] = 3.0
    striped[1] *= 2.0
    return [(rng.random((2, 15, 24)) ** 3, 5, 3), (rng.random((1, 9, 11)), 3, 7),
            (np.ones((2, 8, 10)), 5, 3), (striped, 5, 5)]


def _grade_hard(hard_percussive_mask, V, L_h, L_p):
    wrong = not_a_function(hard_percussive_mask, "hard_percussive_mask")
    if wrong:
        return wrong
    answer = hard_percussive_mask(V, L_h, L_p)
    if answer is None:
        return UNANSWERED
    if uses(hard_percussive_mask, modules=("seplib.classical", "librosa"), names=("hpss_masks",)):
        return "it calls seplib's HPSS: write the two median filters yourself"
    for k, (v, lh, lp) in enumerate([(V, L_h, L_p), *_hard_cases()]):
        answer = np.asarray(hard_percussive_mask(v, lh, lp))
        if answer.shape != v.shape:
            return f"wrong shape {answer.shape}: the mask should be shaped like V {v.shape}"
        if not np.all((answer == 0) | (answer == 1)):
            return "a hard mask is 0 or 1 in every bin (True or False)"
        agree = float(np.mean(answer.astype(bool) == hard_percussive_mask_of(v, lh, lp)))
        if k == 0 and agree < 0.999:
            return (f"the mask agrees with the right one on {100 * agree:.1f}% of the bins; check which filter "
                    "runs along which axis, and mode='reflect'")
        if k > 0 and agree < 1.0:
            return ("on a test spectrogram it differs from the right mask (its edges, or bins where the two "
                    "medians are equal: a tie is not percussive)")
    return None


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Make `hard_percussive_mask(V, L_h, L_p)` return a boolean array shaped like `V`.",
    grade=_grade_hard,
    hint_text="V is (channels, freqs, frames). The time filter has size (1, 1, L_h), the frequency filter "
              "(1, L_p, 1); a bin is percussive where the frequency-filtered value is strictly the larger.",
    solution_code='''def hard_percussive_mask(V, L_h, L_p):
    H = median_filter(V, size=(1, 1, L_h), mode="reflect")
    P = median_filter(V, size=(1, L_p, 1), mode="reflect")
    return P > H
''',
    wrong_code='''def hard_percussive_mask(V, L_h, L_p):
    H = median_filter(V, size=(1, L_p, 1), mode="reflect")  # the two directions swapped
    P = median_filter(V, size=(1, 1, L_h), mode="reflect")
    return P > H
''',
    more_wrong=(
        '''def hard_percussive_mask(V, L_h, L_p):
    H = median_filter(V, size=(1, 1, L_h), mode="constant")  # zeros beyond the edges
    P = median_filter(V, size=(1, L_p, 1), mode="constant")
    return P > H
''',
        '''def hard_percussive_mask(V, L_h, L_p):
    H = median_filter(V, size=(1, 1, L_h), mode="reflect")
    P = median_filter(V, size=(1, L_p, 1), mode="reflect")
    return P >= H  # a tie counted as percussive
''',
        '''def hard_percussive_mask(V, L_h, L_p):
    H = median_filter(V, size=(1, 1, L_h), mode="reflect")
    P = median_filter(V, size=(1, L_p, 1), mode="reflect")
    return P / (P + H + 1e-12)  # a soft mask, not a hard one
''',
        '''def hard_percussive_mask(V, L_h, L_p):
    H = median_filter(V, size=(1, L_h), mode="reflect")  # 2-D sizes on a 3-D V
    P = median_filter(V, size=(L_p, 1), mode="reflect")
    return P > H
''',
    ),
)


def kick_share_of(harmonic_mask, drum_power, hz, cutoff=200.0):
    """Share of the drums' energy below ``cutoff`` Hz that the harmonic mask takes."""
    low = np.asarray(hz) < cutoff
    return float((harmonic_mask[:, low] * drum_power[:, low]).sum() / drum_power[:, low].sum())


def _share_cases():
    """``(mask, power, hz, cutoff)``: channels of different loudness, a bin exactly at the cut-off,
    a mask that differs between channels."""
    rng = np.random.default_rng(4)
    hz = np.arange(8) * 50.0                                  # 0, 50, ..., 350 Hz: 200 Hz is a bin
    power = rng.random((2, 8, 6)) ** 2
    power[1] *= 10.0                                          # the right channel louder
    power[:, 4] *= 30.0                                       # much energy in the 200 Hz bin
    mask = rng.random((2, 8, 6))
    mask[0, :3] = 0.05
    mask[1, :3] = 0.95
    return [(mask, power, hz, 200.0), (mask, power, hz, 125.0), (1 - mask, power[::-1], hz, 325.0)]


def _grade_kick(share_below, harmonic_mask, drum_power, hz):
    wrong = not_a_function(share_below, "share_below")
    if wrong:
        return wrong
    if share_below(harmonic_mask, drum_power, hz, 200.0) is None:
        return UNANSWERED
    for k, (m, p, f, cut) in enumerate([(harmonic_mask, drum_power, hz, 200.0), *_share_cases()]):
        value = share_below(m, p, f, cut)
        try:
            value = float(value)
        except (TypeError, ValueError):
            return f"expected a number, got {type(value).__name__}"
        if not 0 <= value <= 1:
            return "a share of energy is between 0 and 1"
        reason = close(value, kick_share_of(m, p, f, cut), tol=1e-6)
        if reason:
            where = "on the drums" if k == 0 else f"on a test spectrogram, cut-off {cut} Hz"
            return f"{where}: {reason}"
    return None


q3 = Exercise(
    NOTEBOOK, 3,
    missing="Make `share_below(harmonic_mask, power, hz, cutoff)` return the share (0 to 1) of the "
            "energy below `cutoff` Hz that the mask takes.",
    grade=_grade_kick,
    hint_text="Keep only the bins strictly below the cut-off (`hz < cutoff`, on the frequency axis: the "
              "second of (channels, freqs, frames)), weight the power by the mask there, sum over "
              "everything, and divide by the unweighted sum over the same bins.",
    solution_code='''def share_below(harmonic_mask, power, hz, cutoff):
    low = hz < cutoff
    return float((harmonic_mask[:, low] * power[:, low]).sum() / power[:, low].sum())
''',
    wrong_code='''def share_below(harmonic_mask, power, hz, cutoff):
    return float((harmonic_mask * power).sum() / power.sum())  # all bands, not the ones below
''',
    more_wrong=(
        '''def share_below(harmonic_mask, power, hz, cutoff):
    low = hz <= cutoff  # takes in the bin at the cut-off
    return float((harmonic_mask[:, low] * power[:, low]).sum() / power[:, low].sum())
''',
        '''def share_below(harmonic_mask, power, hz, cutoff):
    return float(harmonic_mask[:, hz < cutoff].mean())  # the mask's mean, not weighted by the energy
''',
        '''def share_below(harmonic_mask, power, hz, cutoff):
    low = hz < cutoff  # the share of each channel, then their mean: the loud channel counts no more
    return float(np.mean([(m[low] * p[low]).sum() / p[low].sum() for m, p in zip(harmonic_mask, power)]))
''',
        '''def share_below(harmonic_mask, power, hz, cutoff):
    return 0.62  # a number read off the table of section 8
''',
    ),
)
