"""The notebooks' sources: each notebooks/NN_*.ipynb paired with notebooks/py/NN_*.py (jupytext),
in sync, no stored outputs, one repository address."""
import re
from pathlib import Path

import jupytext
import pytest

from seplib import config

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks" / "py").glob("[0-9][0-9]_*.py"))


def test_every_notebook_has_both_files():
    py = {p.stem for p in (ROOT / "notebooks" / "py").glob("[0-9][0-9]_*.py")}
    ipynb = {p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert py and py == ipynb, f"unpaired: {sorted(py ^ ipynb)} (run `make sync`)"


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.stem)
def test_pair_in_sync_and_outputs_stripped(source):
    nb = jupytext.read(ROOT / "notebooks" / f"{source.stem}.ipynb")
    text = jupytext.read(source)
    got = [(c.cell_type, c.source.strip()) for c in nb.cells]
    want = [(c.cell_type, c.source.strip()) for c in text.cells]
    assert got == want, f"{source.name} and its .ipynb differ: run `make sync`"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, \
                f"{source.stem}.ipynb stores outputs: clear them before committing"


def test_one_repository_address_everywhere():
    # Colab badges, the setup cells' REPO_URL and README's clone command
    pattern = re.compile(r"(?:colab\.research\.google\.com/github/|REPO_URL = \"https://github\.com/"
                         r"|git clone https://github\.com/)([\w.-]+/[\w-]+)")
    expected = config.REPO_URL.removeprefix("https://github.com/")
    files = [ROOT / "README.md", *NOTEBOOKS]
    found = {m for f in files for m in pattern.findall(f.read_text())}
    assert found == {expected}, f"repository addresses differ from config.REPO_URL: {found}"


def test_one_file_per_lesson_in_the_students_folder():
    # the jupytext sources live in notebooks/py/, so notebooks/ shows each lesson once
    assert not list((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    for source in NOTEBOOKS:
        assert "formats: ipynb,py//py:percent" in source.read_text(), f"{source.name}: not paired into py/"
