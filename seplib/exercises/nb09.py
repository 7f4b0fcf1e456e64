"""Exercises of notebook 09_real_music: checks, hints and solutions."""
import numpy as np

from . import Exercise, close

NOTEBOOK = "09_real_music"


def _grade_vocals_share(answer, board):
    row = board.loc["unet (fine-tuned)", "vocals"]
    floor, ceiling = board.loc["mixture", "vocals"], board.loc["oracle-irm", "vocals"]
    if np.isnan(row) or np.isnan(floor) or np.isnan(ceiling):  # vocals silent in every test excerpt
        return None if answer is not None and np.isnan(float(answer)) else "the vocals have no score here: NaN is the answer"
    truth = (row - floor) / (ceiling - floor)
    wrong = close(answer, truth, tol=0.005)
    if wrong and not isinstance(answer, str) and np.isclose(float(answer), row / ceiling, atol=0.005):
        return "that is the ratio of the two SDRs; measure both from the floor (the mixture) instead"
    return wrong


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Store in `vocals_share` the fine-tuned U-Net's share of the oracle's margin over the mixture, on vocals.",
    grade=_grade_vocals_share,
    hint_text="Two distances from the floor: (fine-tuned U-Net - mixture) and (oracle-irm - mixture), both in the "
              "vocals column of `board`. Their ratio is the share (`share_of_oracle` does it for every stem).",
    solution_code='''vocals_share = ((board.loc["unet (fine-tuned)", "vocals"] - board.loc["mixture", "vocals"])
                / (board.loc["oracle-irm", "vocals"] - board.loc["mixture", "vocals"]))
''',
    wrong_code='vocals_share = board.loc["unet (fine-tuned)", "vocals"] / board.loc["oracle-irm", "vocals"]  # from 0 dB, not from the floor\n',
)


def _grade_passes(answer, steps, batch_size, seconds, durations):
    truth = steps * batch_size * seconds / float(np.sum(durations))
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return f"expected a number, got {type(answer).__name__}"
    if np.isclose(value, truth / batch_size, rtol=0.01) and batch_size != 1:
        return "each step sees a whole batch of chunks, not one"
    return close(value, truth, tol=0.01 * truth)


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Store in `passes` how many times over the fine-tuning's chunks add up to the training excerpts' length.",
    grade=_grade_passes,
    hint_text="Seconds of audio seen: steps x chunks per step x seconds per chunk. Seconds of training audio: the sum "
              "of the excerpts' durations. Divide.",
    solution_code='''passes = FINE_STEPS * PLAN["batch_size"] * PLAN["seconds"] / sum(e.duration for e in excerpts["train"])
''',
    wrong_code='''passes = FINE_STEPS * PLAN["seconds"] / sum(e.duration for e in excerpts["train"])  # one chunk per step
''',
)
