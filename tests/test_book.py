"""`make book` on two tiny lessons: executed, rendered, and every player and figure on the page."""
import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("myst_nb", reason="the book extra is not installed: pip install -e '.[dev,book]'")


def load_script(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_builder():
    return load_script("book_build", ROOT / "book" / "build.py")


def write_lessons(folder, data_root):
    """00: math, a player, a figure and a listening room on two songs; 01: a print."""
    v4 = nbformat.v4
    lesson = v4.new_notebook(cells=[
        v4.new_markdown_cell("# 00 · A tiny lesson\n\n**Goal.** Hear a song and see it. "
                             "Its mixture is $x = \\sum_j s_j$."),
        v4.new_code_cell(
            "import matplotlib.pyplot as plt\n"
            "from IPython.display import display\n"
            "from seplib import audio, data, listen\n"
            f"tracks = data.open_dataset('test', root={str(data_root)!r})[:2]\n"
            "mix = data.track_mixture(tracks[0])\n"
            "rate = tracks[0].rate\n"
            "display(audio.play(mix[:, :rate], rate, title='mixture'))\n"
            "plt.plot(mix[0, :rate])\n"
            "plt.show()"),
        v4.new_code_cell(
            "half = {s: 0.5 * mix for s in ('vocals', 'accompaniment')}\n"
            "display(listen.listening_room(tracks, ['mixture', 'halves'], seconds=1.0,\n"
            "                              estimates={'halves': {tracks[0].name: half}}))"),
    ])
    nbformat.write(lesson, folder / "00_tiny_lesson.ipynb")
    nbformat.write(v4.new_notebook(cells=[v4.new_markdown_cell("# 01 · The next lesson"),
                                          v4.new_code_cell("print('hello')")]),
                   folder / "01_next_lesson.ipynb")


def test_book_page_keeps_players_figures_math_and_links(tmp_path, tiny_root):
    build = load_builder()
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_lessons(notebooks, tiny_root)
    site = tmp_path / "site"
    report = build.build(notebooks=notebooks, out=site, src=tmp_path / "src", size="quick", log=lambda *_: None)

    assert [r["error"] for r in report["notebooks"]] == [None, None]
    assert report["sphinx_status"] == 0
    assert nbformat.read(notebooks / "00_tiny_lesson.ipynb", as_version=4).cells[1].outputs == []  # untouched
    page = (site / "00_tiny_lesson.html").read_text(encoding="utf-8")
    # one player from audio.play, and the room's table: the mixture, "halves", the reference
    assert report["players"]["00_tiny_lesson"] == {"notebook": 4, "page": 4}
    assert len(re.findall(r"<audio\b", page)) == 4
    clips = re.findall(r'<source src="(_audio/[0-9a-f]+\.wav)"', page)  # moved out of the page
    assert len(clips) == 4 and all((site / c).stat().st_size > 1000 for c in clips)
    assert "data:audio" not in page
    assert "halves" in page and "reference vocals" in page
    figures = re.findall(r'<img[^>]+src="(_images/[^"]+\.png)"', page)
    assert figures and all((site / f).is_file() for f in figures)
    assert r"\(x = \sum_j s_j\)" in page  # math, left to MathJax
    assert 'href="01_next_lesson.html"' in page.split('class="prev-next-area"')[1]  # next
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="00_tiny_lesson.html"' in index and "A tiny lesson" in index and "Hear a song" in index
    assert (site / "players.json").is_file()

    shots = load_script("book_screenshots", ROOT / "benchmarks" / "book_screenshots.py")
    if shots.find_browser():  # what a reader sees, when Chromium is here (not needed for CI)
        shots.main(["00", "--book", str(site), "--wait-s", "5"])
        for name in ("00_tiny_lesson.png", "00_tiny_lesson-listening-room.png"):
            assert (site / "screenshots" / name).stat().st_size > 10_000


def test_failing_lesson_is_named_and_still_rendered(tmp_path):
    build = load_builder()
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    v4 = nbformat.v4
    nbformat.write(v4.new_notebook(cells=[v4.new_markdown_cell("# 00 · Broken"),
                                          v4.new_code_cell("print('before')"),
                                          v4.new_code_cell("1 / 0"), v4.new_code_cell("print('after')")]),
                   notebooks / "00_broken.ipynb")
    site = tmp_path / "site"
    report = build.build(notebooks=notebooks, out=site, src=tmp_path / "src", size="quick", log=lambda *_: None)
    error = report["notebooks"][0]["error"]
    assert error.startswith("cell 2") and "ZeroDivisionError" in error
    page = (site / "00_broken.html").read_text(encoding="utf-8")
    assert "This page is incomplete" in page and "before" in page


def test_screenshot_script_says_when_chromium_is_missing(monkeypatch, tmp_path):
    shots = load_script("book_screenshots", ROOT / "benchmarks" / "book_screenshots.py")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CHROMIUM", raising=False)
    with pytest.raises(SystemExit, match="chromium is missing"):
        shots.main(["--book", str(tmp_path)])
