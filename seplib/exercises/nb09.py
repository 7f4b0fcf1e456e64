"""Exercises of notebook 09_real_music: checks, hints and solutions.

Both answers are functions, run on the notebook's own table and plan and on ones it never
shows (another bound, a floor above zero, a stem with no score, other batch sizes and
excerpts), so a number read off a printed table does not pass.
"""
import numpy as np
import pandas as pd

from . import UNANSWERED, Exercise, close, not_a_function, uses

NOTEBOOK = "09_real_music"


def _boards():
    """Held-out tables of median SDRs: a positive floor, two bounds, a stem with no score."""
    rows = ["mixture", "oracle-irm", "oracle-psm", "classical", "learned"]
    return [pd.DataFrame({"vocals": [-5.0, 7.0, 9.0, -1.0, 2.0], "drums": [2.0, 8.0, 8.5, 3.0, 6.5],
                          "bass": [np.nan] * 5, "other": [-3.0, 4.0, 6.0, -3.5, 0.5]}, index=rows)]


def _share(board, method, bound, stem):
    floor = board.loc["mixture", stem]
    return (board.loc[method, stem] - floor) / (board.loc[bound, stem] - floor)


def _grade_vocals_share(share_of_margin, board):
    wrong = not_a_function(share_of_margin, "share_of_margin")
    if wrong:
        return wrong
    methods = [m for m in board.index if m != "mixture"]
    if share_of_margin(board, methods[-1], methods[0], board.columns[0]) is None:
        return UNANSWERED
    if uses(share_of_margin, names=("share_of_oracle",)):
        return "it calls the notebook's share_of_oracle: write the ratio yourself"
    for k, table in enumerate([board, *_boards()]):
        rows = [m for m in table.index if m != "mixture"]
        for stem in table.columns:
            for bound in rows:
                for method in rows:
                    truth = _share(table, method, bound, stem)
                    answer = share_of_margin(table, method, bound, stem)
                    where = "the final table" if k == 0 else "a test table"
                    if not np.isfinite(truth):
                        if answer is not None and np.isnan(float(answer)):
                            continue
                        if np.isnan(truth):
                            return f"on {where}, {stem} has no score: NaN is the answer there"
                        continue                  # a bound equal to the floor: any answer
                    reason = close(answer, truth, tol=1e-6)
                    if reason:
                        return f"on {where}, {method} against {bound} on {stem}: {reason}"
    return None


q1 = Exercise(
    NOTEBOOK, 1,
    missing="Make `share_of_margin(board, method, bound, stem)` return the share of the bound's margin "
            "over the mixture that the method reaches on the stem.",
    grade=_grade_vocals_share,
    hint_text="Two distances from the floor, in the stem's column: (method - mixture) and (bound - mixture). "
              "Their ratio is the share: 0 for no better than the mixture, 1 for as good as the bound.",
    solution_code='''def share_of_margin(board, method, bound, stem):
    floor = board.loc["mixture", stem]
    return (board.loc[method, stem] - floor) / (board.loc[bound, stem] - floor)
''',
    wrong_code='''def share_of_margin(board, method, bound, stem):
    return board.loc[method, stem] / board.loc[bound, stem]  # from 0 dB, not from the floor
''',
    more_wrong=(
        '''def share_of_margin(board, method, bound, stem):
    return board.loc[method, stem] - board.loc[bound, stem]  # a difference in dB, not a share
''',
        '''def share_of_margin(board, method, bound, stem):
    floor = board.loc["mixture", stem]
    return (board.loc[bound, stem] - board.loc[method, stem]) / (board.loc[bound, stem] - floor)  # what is left
''',
        '''def share_of_margin(board, method, bound, stem):
    floor = board.loc["mixture", stem]  # always the same bound, whatever is asked
    return (board.loc[method, stem] - floor) / (board.loc["oracle-irm", stem] - floor)
''',
        '''def share_of_margin(board, method, bound, stem):
    return share_of_oracle(board, method, oracle=bound)[stem]  # the notebook's own code
''',
        '''def share_of_margin(board, method, bound, stem):
    return 0.42  # a number read off the printed shares
''',
    ),
)

PLANS = [(4, 2, 3.0, [6.0, 6.0, 6.0]), (60, 8, 5.9, [30.0, 20.0, 25.5]), (1, 1, 2.0, [4.0]),
         (400, 16, 6.0, [6.0] * 50)]
"""``(steps, batch_size, seconds, durations)`` the passes are checked on."""


def _passes(steps, batch_size, seconds, durations):
    return steps * batch_size * seconds / float(np.sum(durations))


def _grade_passes(passes, steps, batch_size, seconds, durations):
    wrong = not_a_function(passes, "passes")
    if wrong:
        return wrong
    if passes(*PLANS[0]) is None:
        return UNANSWERED
    own = [(steps, batch_size, seconds, list(durations))] if float(np.sum(durations)) > 0 else []  # no fine-tuning ran: no excerpts
    for k, (n, b, s, d) in enumerate([*own, *PLANS]):
        truth = _passes(n, b, s, d)
        value = passes(n, b, s, list(d))
        reason = close(value, truth, tol=1e-6 * truth)
        if reason:
            try:
                per_chunk = b != 1 and np.isclose(float(value), truth / b, rtol=1e-6)
            except (TypeError, ValueError):
                per_chunk = False
            if per_chunk:
                return "each step sees a whole batch of chunks, not one"
            where = "for the fine-tuning" if own and k == 0 else f"for {n} steps of {b} chunks of {s} s over {len(d)} excerpts"
            return f"{where}: {reason}"
    return None


q2 = Exercise(
    NOTEBOOK, 2,
    missing="Make `passes(steps, batch_size, seconds, durations)` return how many times over the chunks "
            "add up to the excerpts' total length.",
    grade=_grade_passes,
    hint_text="Seconds of audio seen: steps x chunks per step x seconds per chunk. Seconds of training audio: the sum "
              "of the excerpts' durations. Divide.",
    solution_code='''def passes(steps, batch_size, seconds, durations):
    return steps * batch_size * seconds / sum(durations)
''',
    wrong_code='''def passes(steps, batch_size, seconds, durations):
    return steps * seconds / sum(durations)  # one chunk per step
''',
    more_wrong=(
        '''def passes(steps, batch_size, seconds, durations):
    return steps * batch_size * seconds / np.mean(durations)  # over one excerpt, not all of them
''',
        '''def passes(steps, batch_size, seconds, durations):
    return sum(durations) / (steps * batch_size * seconds)  # upside down
''',
        '''def passes(steps, batch_size, seconds, durations):
    return steps * batch_size * seconds / len(durations)  # counts excerpts, not seconds
''',
        '''def passes(steps, batch_size, seconds, durations):
    return 0.5  # one number, for one plan
''',
    ),
)
