"""Build the workbook as a static site: every notebook executed, then rendered by Sphinx + MyST-NB.

Steps (``make book`` runs them all):

1. Execute each notebook of ``notebooks/`` in a fresh kernel, with ``notebooks/`` as the
   working directory, at the run size ``$SEPLIB_SIZE`` (default ``lab``), with the networks that
   ship with seplib (``$SEPLIB_MODELS_FROM``, default ``shipped``: the build trains nothing and
   the reader sees trained models), two notebooks side by side (``--jobs``). The executed
   copies go to ``build/book-src/``; nothing in ``notebooks/`` is written.
2. Write the index page (``book/index.md`` with the curriculum table filled in).
3. Render the site with Sphinx (``book/conf.py``: MyST-NB, sphinx-book-theme) into
   ``build/book/``: a page per notebook with previous / next links, math, figures and audio
   (the clips moved out of the pages into ``build/book/_audio/``, so pages load fast).
4. Count the audio players of every notebook's outputs and of its page, and write both to
   ``build/book/players.json``; a page with fewer players than its notebook is an error.

A notebook that fails is reported (which cell, which error) and its page is still built with
the outputs up to the error and a warning at its top; the other notebooks are built as usual,
and the command exits with status 1 at the end.

Usage::

    python book/build.py                              # every notebook, lab size, shipped models
    SEPLIB_SIZE=quick python book/build.py --jobs 1   # the quick size, one at a time
    python book/build.py 00 02 --reuse                # two notebooks; keep executed copies
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from seplib import config

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
AUDIO_TAG = re.compile(r"<audio\b", re.IGNORECASE)


def title_and_goal(nb):
    """The notebook's title (its first ``#`` heading, without the number) and the first
    sentence of its **Goal.** paragraph."""
    title, goal = None, ""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if title is None and line.startswith("# "):
                title = re.sub(r"^\d+\s*[·.:-]\s*", "", line[2:].strip())
        match = re.search(r"\*\*Goal\.\*\*\s*(.+?[.!?])(\s|$)", cell.source, re.S)
        if match and not goal:
            goal = " ".join(match.group(1).split())
        if title and goal:
            break
    return title, goal


def readme_summaries(readme=ROOT / "README.md"):
    """``{notebook stem: one-line summary}`` from the README's table of notebooks, if any."""
    rows = {}
    if not Path(readme).is_file():
        return rows
    for line in Path(readme).read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        link = re.search(r"\(([^)]*?)([^/()]+)\.ipynb\)", cells[1]) if len(cells) >= 3 else None
        if link and re.fullmatch(r"\d\d", cells[0]):
            rows[link.group(2)] = cells[2]
    return rows


def curriculum(executed):
    """The index's table: number, lesson (a link to its page), what you build and hear."""
    summaries = readme_summaries()
    lines = ["| # | lesson | what you build and hear |", "| --- | --- | --- |"]
    for path, nb in executed:
        number = path.stem[:2]
        title, goal = title_and_goal(nb)
        summary = summaries.get(path.stem) or goal
        lines.append(f"| {number} | [{title or path.stem}]({path.name}) | {summary.replace('|', '/')} |")
    return "\n".join(lines)


def html_of(output):
    """The HTML a static page shows for an output, as the book's renderer picks it (the
    widget view is never rendered; see book/conf.py)."""
    return output.get("data", {}).get("text/html", "") if output.get("output_type") in (
        "display_data", "execute_result") else ""


def players_in_notebook(nb):
    """How many ``<audio`` players the notebook's outputs hold."""
    count = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            html = html_of(output)
            count += len(AUDIO_TAG.findall("".join(html) if isinstance(html, list) else html))
    return count


def execute(path, dest, size, cell_timeout=None):
    """Run a notebook top to bottom in a fresh kernel (cwd: its folder) and write the executed
    copy to ``dest``. On an error the copy keeps the outputs up to it, with a warning on top.

    Returns:
        record (dict): notebook, seconds, error (None when it ran through)
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    # The run size for setup_run(None); no MPLBACKEND, so the kernel draws figures inline
    # (an inherited "Agg", as pytest sets, would show none).
    env = {**os.environ, "SEPLIB_SIZE": size}
    env.setdefault("SEPLIB_MODELS_FROM", "shipped")  # the book shows trained models and trains none
    env.pop("MPLBACKEND", None)
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start, error = time.perf_counter(), None
    try:
        client.execute(env=env)
    except CellExecutionError as exc:
        index = next((i for i, c in enumerate(nb.cells) if any(
            o.get("output_type") == "error" for o in c.get("outputs", []))), "?")
        error = f"cell {index}: {str(exc).strip().splitlines()[-1][:300]}"
    except Exception as exc:  # a dead kernel, a timeout
        error = f"{type(exc).__name__}: {str(exc).strip()[:300]}"
    seconds = time.perf_counter() - start
    nb.metadata["seplib_book"] = {"size": size, "seconds": round(seconds, 1), "error": error}
    if error:
        note = nbformat.v4.new_markdown_cell(
            "```{warning}\nThis page is incomplete: the notebook stopped with an error "
            f"({error}). Its outputs end there.\n```")
        nb.cells.insert(1, note)
    nb.metadata.pop("widgets", None)  # widget state: no use without a kernel, and large
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)
    return {"notebook": path.stem, "seconds": round(seconds, 1), "error": error}


def fresh(source, executed, size):
    """True when ``executed`` is newer than ``source`` and ran without error at ``size``."""
    import nbformat

    if not executed.is_file() or executed.stat().st_mtime < source.stat().st_mtime:
        return False
    meta = nbformat.read(executed, as_version=4).metadata.get("seplib_book", {})
    return meta.get("size") == size and not meta.get("error")


def write_index(src, executed, size):
    """``src/index.md``: book/index.md with the curriculum and the table of contents."""
    template = (BOOK / "index.md").read_text(encoding="utf-8")
    text = template.format(size=size, curriculum=curriculum(executed),
                           toctree="\n".join(path.stem for path, _ in executed))
    (src / "index.md").write_text(text, encoding="utf-8")


def sphinx(src, out, doctrees):
    """Render ``src`` into ``out`` with book/conf.py; returns the sphinx-build exit status."""
    # -E -a: read and write every page, so each one comes out with its audio embedded, for
    # audio_to_files to move (the site's _audio/ is rebuilt from scratch each time).
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-E", "-a", "-c", str(BOOK),
           "-d", str(doctrees), str(src), str(out)]
    return subprocess.run(cmd).returncode


DATA_URI = re.compile(r'src="data:audio/([a-z0-9.+-]+);base64,([A-Za-z0-9+/=\s]+)"')


def audio_to_files(page, folder="_audio"):
    """Move the page's embedded audio (base64 data URIs) into files next to it, named by their
    content, and point the players at them: the page shrinks from megabytes to kilobytes and a
    browser fetches a clip only when it is played. The sound is the same, byte for byte.

    Returns:
        moved (int): how many players now read a file
    """
    import base64
    import hashlib

    page = Path(page)
    (page.parent / folder).mkdir(exist_ok=True)
    moved = 0

    def to_file(match):
        nonlocal moved
        data = base64.b64decode("".join(match.group(2).split()))
        name = f"{folder}/{hashlib.sha1(data).hexdigest()[:20]}.{match.group(1).replace('x-', '')}"
        target = page.parent / name
        if not target.is_file():
            target.write_bytes(data)
        moved += 1
        return f'src="{name}"'

    text = page.read_text(encoding="utf-8")
    page.write_text(DATA_URI.sub(to_file, text), encoding="utf-8")
    return moved


def players_on_pages(out, executed):
    """``{notebook: {"notebook": players in its outputs, "page": players on its page}}``."""
    counts = {}
    for path, nb in executed:
        page = out / f"{path.stem}.html"
        text = page.read_text(encoding="utf-8") if page.is_file() else ""
        counts[path.stem] = {"notebook": players_in_notebook(nb), "page": len(AUDIO_TAG.findall(text))}
    return counts


def build(names=(), notebooks=ROOT / "notebooks", out=ROOT / "build" / "book",
          src=ROOT / "build" / "book-src", size=None, reuse=False, cell_timeout=None, log=print, jobs=2):
    """Execute the notebooks and render the site; see the module docstring.

    Returns:
        report (dict): size, per-notebook records (seconds, error), players, sphinx status,
        seconds in all
    """
    import nbformat

    import concurrent.futures

    size = size or os.environ.get("SEPLIB_SIZE") or "lab"
    out, src, started = Path(out), Path(src), time.perf_counter()
    paths = config.notebooks(names, folder=notebooks)
    if not paths:
        raise SystemExit(f"no notebooks NN_*.ipynb in {notebooks}")
    if src.exists():  # stale pages (a renamed notebook) must not reach the site
        for old in src.glob("*.ipynb"):
            if not reuse or old.stem not in {p.stem for p in paths}:
                old.unlink()
    if size != "quick":  # the data sets first, once, before notebooks side by side need them
        from seplib.data import EXAMPLE, ensure_default, resolve_root

        ensure_default(size, progress=False)
        resolve_root(EXAMPLE)

    def run_one(path):
        dest = src / path.name
        if reuse and fresh(path, dest, size):
            return {"notebook": path.stem, "seconds": 0.0, "error": None, "reused": True}
        log(f"executing {path.name} at the {size} size ...")
        return execute(path, dest, size, cell_timeout)

    with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as pool:
        records = list(pool.map(run_one, paths))  # each notebook in a kernel process of its own
    executed = []
    for path, record in zip(paths, records):
        log(f"  {path.stem}: " + (f"FAILED after {record['seconds']:.0f} s, {record['error']}"
                                  if record["error"] else
                                  "kept from the last build" if record.get("reused") else
                                  f"{record['seconds']:.0f} s"))
        executed.append((src / path.name, nbformat.read(src / path.name, as_version=4)))
    write_index(src, executed, size)
    log(f"rendering {len(executed)} pages into {out} ...")
    shutil.rmtree(out / "_audio", ignore_errors=True)
    status = sphinx(src, out, src.parent / "book-doctrees")
    for path, _ in executed:
        if (out / f"{path.stem}.html").is_file():
            audio_to_files(out / f"{path.stem}.html")
    players = players_on_pages(out, executed)
    report = {"size": size, "notebooks": records, "players": players, "sphinx_status": status,
              "seconds": round(time.perf_counter() - started, 1)}
    if out.is_dir():
        (out / "players.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    for name, n in players.items():
        lost = n["notebook"] - n["page"]
        size_mb = (out / f"{name}.html").stat().st_size / 1e6 if (out / f"{name}.html").is_file() else 0
        log(f"  {name}: {n['page']} audio players on the page ({size_mb:.1f} MB of HTML)" +
            (f", {lost} LOST of the notebook's {n['notebook']}" if lost else ""))
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="notebooks to build (number or stem); default all")
    parser.add_argument("--size", help="run size (default $SEPLIB_SIZE, else lab)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed side by side (default 2)")
    parser.add_argument("--out", default=str(ROOT / "build" / "book"), help="the site")
    parser.add_argument("--src", default=str(ROOT / "build" / "book-src"), help="executed copies")
    parser.add_argument("--notebooks", default=str(ROOT / "notebooks"), help="notebooks folder")
    parser.add_argument("--reuse", action="store_true",
                        help="keep executed copies newer than their notebook (same size, no error)")
    parser.add_argument("--cell-timeout", type=int, default=None, help="seconds per cell (default none)")
    args = parser.parse_args(argv)
    report = build(args.names, Path(args.notebooks), Path(args.out), Path(args.src), args.size,
                   args.reuse, args.cell_timeout, jobs=args.jobs)
    failed = [r for r in report["notebooks"] if r["error"]]
    lost = {k: v for k, v in report["players"].items() if v["page"] < v["notebook"]}
    pages = sum(1 for _ in Path(args.out).glob("[0-9][0-9]_*.html"))
    print(f"book: {pages} lesson pages + index in {args.out} ({report['seconds']:.0f} s, "
          f"{sum(v['page'] for v in report['players'].values())} audio players); "
          f"open {Path(args.out) / 'index.html'}")
    problems = [f"notebook {r['notebook']} failed ({r['error']})" for r in failed]
    problems += [f"page {k} lost audio players ({v['page']} of {v['notebook']})" for k, v in lost.items()]
    if report["sphinx_status"]:
        problems.append(f"sphinx-build exited with status {report['sphinx_status']}")
    for problem in problems:
        print(f"book: ERROR: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
