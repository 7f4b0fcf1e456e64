"""Instructor solutions: the notebooks with every answer cell filled in, executed.

``make solutions`` (``python -m seplib.exercises.solutions``) writes
``build/solutions/NN_topic.ipynb`` for every notebook, at the run size of ``$SEPLIB_SIZE``
(quick unless set). The solutions themselves live in ``seplib/exercises/nbNN.py``, never in
the students' notebooks.

``--verify`` builds the notebooks the tests run instead: for each exercise, the student's
placeholder is checked first (it must say "not answered yet"), then the solution (it must
pass), then a typical wrong answer (it must fail), and the solution goes back in so that the
cells after it run as they would for a student who solved it.
"""
from __future__ import annotations

import argparse
import copy
import os
import sys
from pathlib import Path

import nbformat

from . import exercises_of

NOTEBOOKS = Path(__file__).resolve().parent.parent.parent / "notebooks"


def _code_cell(source, tag):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = [tag]
    return cell


def _again(cell):
    """A copy of a cell under a new id (a notebook's cell ids must be unique)."""
    return nbformat.v4.new_code_cell(cell.source, metadata=copy.deepcopy(cell.metadata))


def fill(nb, notebook, verify=False):
    """A copy of a notebook with its answer cells solved.

    Args:
        nb (nbformat.NotebookNode): the student's notebook
        notebook (str): its name, e.g. ``"03_repet_sim"``
        verify (bool): also check the placeholder and a wrong answer (see the module doc)

    Returns:
        nb (nbformat.NotebookNode): the filled copy

    Raises:
        ValueError: an exercise has no answer cell, or no check cell after it
    """
    cells = list(nb.cells)
    out = []
    for ex in exercises_of(notebook):
        at = next((i for i, c in enumerate(cells) if ex.tag in c.metadata.get("tags", [])), None)
        if at is None:
            raise ValueError(f"{notebook}: no cell tagged {ex.tag!r} for exercise {ex.number}")
        check_at = next((i for i in range(at + 1, len(cells))
                         if cells[i].cell_type == "code" and f"q{ex.number}.check(" in cells[i].source), None)
        if check_at is None:
            raise ValueError(f"{notebook}: no ex.q{ex.number}.check(...) cell after exercise {ex.number}")
        check = cells[check_at]
        solved = _code_cell(ex.solution_code, ex.tag)
        out += cells[:at]
        if verify:
            out += [cells[at], _again(check)]            # the placeholder: "not answered yet"
        out += [solved, *cells[at + 1: check_at + 1]]           # the solution: "correct!"
        if verify:
            out += [_code_cell(ex.wrong_code, ex.tag), _again(check),  # a wrong answer: "not quite"
                    _again(solved)]                               # and the solution back in
        cells = cells[check_at + 1:]
    filled = copy.deepcopy(nb)
    filled.cells = out + cells
    return filled


def execute(nb, cwd=NOTEBOOKS, timeout=None):
    """Execute a notebook in a fresh kernel (as a student would, top to bottom)."""
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="names or number prefixes (default: all)")
    parser.add_argument("--out", default="build/solutions", help="output folder (default: build/solutions)")
    parser.add_argument("--verify", action="store_true", help="also check placeholders and wrong answers")
    parser.add_argument("--no-execute", action="store_true", help="fill the answers only")
    args = parser.parse_args(argv)
    os.environ.setdefault("SEPLIB_SIZE", "quick")
    from .. import config

    paths = config.notebooks(args.notebooks, folder=NOTEBOOKS)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from tqdm.auto import tqdm

    for path in tqdm(paths, desc="solutions"):
        nb = fill(nbformat.read(path, as_version=4), path.stem, verify=args.verify)
        if not args.no_execute:
            execute(nb)
        nbformat.write(nb, out / path.name)
    print(f"{len(paths)} notebooks with their solutions in {out}/ (run size {os.environ['SEPLIB_SIZE']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
