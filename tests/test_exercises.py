"""Exercises: every notebook has at least two; each check says missing / wrong / right without
the answer; the instructor solutions pass every check and a typical wrong answer fails each."""
import json
from pathlib import Path

import nbformat
import pytest

from seplib.exercises import UNANSWERED, Exercise, close, exercises_of
from seplib.exercises.solutions import execute, fill

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def toy(grade):
    return Exercise("99_toy", 1, missing="Store the answer in `x`.", grade=grade, hint_text="think",
                    solution_code="x = 42\n", wrong_code="x = 41\n")


def test_a_check_says_missing_wrong_or_right_and_never_the_answer(capsys):
    ex = toy(lambda answer: close(answer, 42.0, tol=0.5))
    ex.check(None)
    assert ex.status == "unanswered" and "not answered yet. Store the answer in `x`." in capsys.readouterr().out
    ex.check(41)
    out = capsys.readouterr().out
    assert ex.status == "wrong" and "not quite: too small" in out and "42" not in out
    ex.check(42.2)
    assert ex.status == "correct" and "correct!" in capsys.readouterr().out
    ex.hint()
    assert "42" not in capsys.readouterr().out
    ex.solution()  # asked for: now it shows
    assert "x = 42" in capsys.readouterr().out


def test_a_placeholder_function_and_a_crashing_answer(capsys):
    ex = toy(lambda f: UNANSWERED if f() is None else None)
    ex.check(lambda: None)
    assert ex.status == "unanswered"
    ex.check(lambda: 1 / 0)
    assert ex.status == "wrong" and "ZeroDivisionError" in capsys.readouterr().out


def test_close_refuses_what_is_not_a_number():
    assert close("abc", 1.0, 0.1) == "expected a number, got str"
    assert close(1.05, 1.0, 0.1) is None


def test_the_check_log(tmp_path, monkeypatch):
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv("SEPLIB_EXERCISE_LOG", str(log))
    ex = toy(lambda answer: None if answer == 42 else "no")
    ex.check(None), ex.check(41), ex.check(42)
    statuses = [json.loads(line)["status"] for line in log.read_text().splitlines()]
    assert statuses == ["unanswered", "wrong", "correct"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_has_two_or_more_exercises_in_place(path):
    nb = nbformat.read(path, as_version=4)
    found = exercises_of(path.stem)
    assert len(found) >= 2, f"{path.name}: {len(found)} exercises"
    assert [e.number for e in found] == list(range(1, len(found) + 1))
    for ex in found:
        tagged = [c for c in nb.cells if ex.tag in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{path.name}: {len(tagged)} cells tagged {ex.tag}"
        assert ex.solution_code.strip() not in nb_source(nb), f"{path.name}: exercise {ex.number}'s solution is in the notebook"
    filled = fill(nb, path.stem)  # raises if an answer cell has no check after it
    assert sum(1 for c in filled.cells if c.metadata.get("tags")) == len(found)


def nb_source(nb):
    return "\n".join(c.source for c in nb.cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_solutions_pass_and_wrong_answers_fail(path, tmp_path, monkeypatch):
    """The notebook run top to bottom with, per exercise: the placeholder, the solution, a wrong answer."""
    log = tmp_path / "checks.jsonl"
    monkeypatch.setenv("SEPLIB_EXERCISE_LOG", str(log))
    execute(fill(nbformat.read(path, as_version=4), path.stem, verify=True))
    seen = [(r["exercise"], r["status"]) for r in map(json.loads, log.read_text().splitlines())]
    want = [(e.number, s) for e in exercises_of(path.stem) for s in ("unanswered", "correct", "wrong")]
    assert seen == want
