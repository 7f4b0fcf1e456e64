"""Exercise checks for the notebooks: they say what is missing, wrong or right, and show a
solution only when you ask for one.

Every exercise of every notebook is defined in this folder, one file per notebook
(``nb03.py`` for ``03_repet_sim``): how its answer is checked, a hint, the instructor's
solution and a typical wrong answer (the tests run both). In a notebook::

    from seplib.exercises import nb03 as ex

    period_seconds = ...                  # the answer cell (tagged ``answer-1``)
    ex.q1.check(period_seconds, period=period, hop=hop, rate=rate)
    ex.q1.hint()        # a nudge, if you are stuck
    ex.q1.solution()    # the solution code: only when you ask

A check prints one of three things, never the answer itself:

- ``Exercise 1: not answered yet. <what to write>`` when the answer is still ``None``;
- ``Exercise 1: not quite. <why, without the answer>`` when it is wrong;
- ``Exercise 1: correct!`` when it is right.

Instructors: ``make solutions`` writes every notebook with its answer cells replaced by the
solutions and executed, under ``build/solutions/`` (see :mod:`seplib.exercises.solutions`).

Taught in: every notebook's Exercises section
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Callable

UNANSWERED = object()
"""What a grader returns when the answer is still a placeholder (e.g. a function that
returns ``None``)."""

LOG_VARIABLE = "SEPLIB_EXERCISE_LOG"
"""If this environment variable names a file, every check appends one JSON line to it
(``{"notebook", "exercise", "status"}``): how the tests see what each check decided."""


@dataclass
class Exercise:
    """One exercise: how to check it, and what to say.

    Args:
        notebook (str): the notebook's name, e.g. ``"03_repet_sim"``
        number (int): the exercise's number in that notebook
        missing (str): what to write, said while the answer is ``None``
        grade (callable): ``grade(answer, **context)`` returns ``None`` when the answer is
            right, :data:`UNANSWERED` when it is still a placeholder, else a short reason that
            does **not** contain the answer
        hint_text (str): a nudge that does not give the answer away
        solution_code (str): the answer cell, solved (what ``make solutions`` puts in)
        wrong_code (str): the answer cell with a typical mistake (the tests check it fails)
    """

    notebook: str
    number: int
    missing: str
    grade: Callable
    hint_text: str
    solution_code: str
    wrong_code: str
    status: str = "unanswered"

    @property
    def tag(self):
        """The cell tag of this exercise's answer cell in the notebook."""
        return f"answer-{self.number}"

    def check(self, answer, **context):
        """Check an answer and say so in one line.

        Args:
            answer: the student's answer (``None`` while unanswered)
            **context: what the grader needs from the notebook (arrays, settings)

        The verdict (``"unanswered"``, ``"wrong"`` or ``"correct"``) is kept in ``self.status``.
        """
        if answer is None:
            verdict = UNANSWERED
        else:
            try:
                verdict = self.grade(answer, **context)
            except Exception as error:  # the student's code raised: say what, not the answer
                verdict = f"your answer raised {type(error).__name__}: {error}"
        if verdict is UNANSWERED:
            status, line = "unanswered", f"not answered yet. {self.missing}"
        elif verdict is None:
            status, line = "correct", "correct!"
        else:
            status, line = "wrong", f"not quite: {verdict} (ex.q{self.number}.hint() gives a hint)"
        print(f"Exercise {self.number}: {line}")
        self.status = status
        _log(self, status)

    def hint(self):
        """Print a hint (it does not give the answer away)."""
        print(f"Exercise {self.number}, hint: {self.hint_text}")

    def solution(self):
        """Print the solution code. Try the exercise first!"""
        print(f"Exercise {self.number}, a solution:\n\n{self.solution_code.strip()}")


def _log(exercise, status):
    path = os.environ.get(LOG_VARIABLE)
    if path:
        with open(path, "a") as log:
            log.write(json.dumps({"notebook": exercise.notebook, "exercise": exercise.number,
                                  "status": status}) + "\n")


def close(value, truth, tol):
    """``None`` if a number is within ``tol`` of the truth, else a reason (without the truth).

    Args:
        value: the answer (a number)
        truth (float): the right value
        tol (float): the tolerance, absolute

    Returns:
        ``None`` or a short reason (str)
    """
    try:
        value = float(value)
    except (TypeError, ValueError):
        return f"expected a number, got {type(value).__name__}"
    if abs(value - truth) <= tol:
        return None
    return "too large" if value > truth else "too small"


def exercises_of(notebook):
    """Every :class:`Exercise` of a notebook, in order.

    Args:
        notebook (str): the notebook's name or number prefix (``"03"`` or ``"03_repet_sim"``)

    Returns:
        list of :class:`Exercise`
    """
    import importlib

    module = importlib.import_module(f"{__name__}.nb{notebook[:2]}")
    found = [v for v in vars(module).values() if isinstance(v, Exercise)]
    return sorted(found, key=lambda e: e.number)
