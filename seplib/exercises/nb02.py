"""Exercises of notebook 02_hpss: checks, hints and solutions."""
import numpy as np

from . import UNANSWERED, Exercise, close

NOTEBOOK = "02_hpss"


def _grade_frames(answer, rate, hop):
    from ..classical import seconds_to_frames

    truth = seconds_to_frames(0.5, rate, hop=hop, odd=True)
    if isinstance(answer, (bool, np.bool_)) or not float(answer).is_integer():
        return "a filter length is a whole number of frames"
    answer = int(answer)
    if answer % 2 == 0:
        return "an even length has no centre frame: make it odd"
    return None if answer == truth else ("too many frames" if answer > truth else "too few frames")


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Store in `frames_05` the length in frames (an odd integer) of a 0.5 s harmonic filter.",
    grade=_grade_frames,
    hint_text="Frames are `hop` samples apart: 0.5 s is 0.5 * rate / hop frames. Round to the nearest "
              "whole frame, then add one if the count is even (section 1).",
    solution_code='''frames_05 = round(0.5 * rate / classical.HOP)
if frames_05 % 2 == 0:
    frames_05 += 1
''',
    wrong_code='''frames_05 = round(0.5 * rate / classical.HOP)  # forgot to make it odd
''',
)


def hard_percussive_mask_of(V, L_h, L_p):
    """The hard percussive mask [P~ > H~] of section 4 (seplib's, for the check)."""
    from ..classical import hpss

    return hpss.hpss_masks(V, L_h, L_p, power=np.inf)["percussive"] > 0.5


def _grade_hard(hard_percussive_mask, V, L_h, L_p):
    answer = hard_percussive_mask(V, L_h, L_p)
    if answer is None:
        return UNANSWERED
    if np.shape(answer) != V.shape:
        return f"wrong shape {np.shape(answer)}: the mask should be shaped like V"
    agree = float(np.mean(np.asarray(answer, dtype=bool) == hard_percussive_mask_of(V, L_h, L_p)))
    if agree > 0.999:
        return None
    return (f"the mask agrees with the right one on {100 * agree:.1f}% of the bins; check which filter "
            "runs along which axis, and mode='reflect'")


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Make `hard_percussive_mask(V, L_h, L_p)` return a boolean array shaped like `V`.",
    grade=_grade_hard,
    hint_text="V is (channels, freqs, frames). The time filter has size (1, 1, L_h), the frequency filter "
              "(1, L_p, 1); a bin is percussive where the frequency-filtered value is the larger.",
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
)


def kick_share_of(harmonic_mask, drum_power, hz):
    """Share of the drums' energy below 200 Hz that the harmonic mask takes."""
    low = hz < 200
    return float((harmonic_mask[:, low] * drum_power[:, low]).sum() / drum_power[:, low].sum())


def _grade_kick(answer, harmonic_mask, drum_power, hz):
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return f"expected a number, got {type(answer).__name__}"
    if not 0 <= value <= 1:
        return "a share of energy is between 0 and 1"
    return close(value, kick_share_of(harmonic_mask, drum_power, hz), tol=0.005)


q3 = Exercise(
    NOTEBOOK, 3,
    missing="Store in `kick_share` the share (0 to 1) of the drums' energy below 200 Hz that the "
            "harmonic mask takes.",
    grade=_grade_kick,
    hint_text="Keep only the bins below 200 Hz (`hz < 200`, on the frequency axis of `S['drums']`), weight "
              "the drum power by the mask there, sum over everything, and divide by the unweighted sum "
              "over the same bins.",
    solution_code='''low = hz < 200
kick_share = float((masks["harmonic"][:, low] * S["drums"][:, low]).sum() / S["drums"][:, low].sum())
''',
    wrong_code='''kick_share = float((masks["harmonic"] * S["drums"]).sum() / S["drums"].sum())  # all bands, not the kick
''',
)
