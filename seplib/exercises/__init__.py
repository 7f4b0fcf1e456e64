"""Exercise checks for the notebooks: they say what is missing, wrong or right, and show a
solution only when you ask for one.

Every exercise of every notebook is defined in this folder, one file per notebook
(``nb03.py`` for ``03_repet_sim``): how its answer is checked, a hint, the instructor's
solution and typical wrong answers (the tests run them all). Most answers are functions: the
check runs them on the notebook's data *and* on inputs the notebook never shows (silent bins,
one loud channel, ties), so an answer copied from a printed table, or guessed, does not pass.
A wrong value is called wrong, never "too large" or "too small". In a notebook::

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

import numpy as np

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
        more_wrong (tuple of str): more answer cells with typical mistakes or shortcuts (a
            copied number, the checker's own helper); the tests check that each fails too
    """

    notebook: str
    number: int
    missing: str
    grade: Callable
    hint_text: str
    solution_code: str
    wrong_code: str
    more_wrong: tuple = ()
    status: str = "unanswered"

    @property
    def wrong_codes(self):
        """Every typical wrong answer: :attr:`wrong_code` first, then :attr:`more_wrong`."""
        return (self.wrong_code, *self.more_wrong)

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
        verdict = self.verdict(answer, **context)
        if verdict is UNANSWERED:
            status, line = "unanswered", f"not answered yet. {self.missing}"
        elif verdict is None:
            status, line = "correct", "correct!"
        else:
            status, line = "wrong", f"not quite: {verdict} (ex.q{self.number}.hint() gives a hint)"
        print(f"Exercise {self.number}: {line}")
        self.status = status
        _log(self, status)

    def verdict(self, answer, **context):
        """What :meth:`check` decides, without printing it.

        Returns:
            ``None`` (right), :data:`UNANSWERED`, or a reason (str) that does not give the answer
        """
        if answer is None:
            return UNANSWERED
        if callable(answer) and uses(answer, modules=(__name__,)):
            return "it calls the checker's own code (seplib.exercises): write the computation yourself"
        try:
            return self.grade(answer, **context)
        except Exception as error:  # the student's code raised: say what, not the answer
            return f"your answer raised {type(error).__name__}: {error}"

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
    """``None`` if a number is within ``tol`` of the truth, else a reason that gives neither the
    truth nor a direction (no "too large": a student could bisect on it).

    Args:
        value: the answer (a number)
        truth (float): the right value
        tol (float): the tolerance, absolute

    Returns:
        ``None`` or a short reason (str)
    """
    if isinstance(value, (bool, np.bool_)):
        return "expected a number, got bool"
    try:
        value = float(value)
    except (TypeError, ValueError):
        return f"expected a number, got {type(value).__name__}"
    if not np.isfinite(value):
        return f"{value} is not a finite number"
    if abs(value - truth) <= tol:
        return None
    return "not the right value"


def not_a_function(answer, name):
    """A reason if ``answer`` is not callable (the exercise asks for a function), else ``None``."""
    if callable(answer):
        return None
    return f"`{name}` should be a function (def {name}(...): ...), got {type(answer).__name__}"


def _code_objects(code):
    yield code
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            yield from _code_objects(const)


def uses(func, modules=(), names=()):
    """Which of the forbidden things a student's function refers to (a shortcut the exercise
    rules out, such as the library function it asks you to write, or the checker's own helper).

    Looks at the names the function's code (and the code of the functions defined in it)
    refers to: a global bound to one of ``modules`` or to a function defined in one, an import
    of one of them, or one of ``names``.

    Args:
        func (callable): the student's function (or class: its methods are searched)
        modules (tuple of str): dotted module names, e.g. ``("seplib.spectral",)``
        names (tuple of str): names that must not appear at all, e.g. ``("silent_fraction_of",)``

    Returns:
        found (list of str): the forbidden names used, empty if none
    """
    import inspect

    functions = [func]
    if inspect.isclass(func):
        functions = [f for f in vars(func).values() if inspect.isfunction(f)]
    found = []
    for f in functions:
        code = getattr(f, "__code__", None)
        if code is None:
            continue
        referred = {n for c in _code_objects(code) for n in c.co_names}
        space = getattr(f, "__globals__", {})
        for n in sorted(referred):
            target = space.get(n)
            home = getattr(target, "__name__", "") if inspect.ismodule(target) else getattr(target, "__module__", "")
            if n in names or any(home == m or (home or "").startswith(m + ".") for m in modules if target is not None):
                found.append(n)
            elif any(n in (m, m.rsplit(".", 1)[-1]) for m in modules) and ("seplib" in referred or n in space):
                found.append(n)
    return sorted(set(found))


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
