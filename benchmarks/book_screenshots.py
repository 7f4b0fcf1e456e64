"""What a reader of the built book sees: screenshots of its pages in headless Chromium.

Opens pages of the site that ``make book`` writes (``build/book/``) in headless Chromium and
saves PNG screenshots under ``build/book/screenshots/``: the index, the top of every lesson,
and on the lessons that have one, the listening room (the page scrolled to its heading).
Prints one JSON object per screenshot (page, file, seconds).

Usage::

    make book && python benchmarks/book_screenshots.py            # every page
    python benchmarks/book_screenshots.py 02 08 --height 2400     # two lessons, taller shots

Needs Chromium (Debian: ``apt-get install chromium``); says so and stops when it is missing.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_browser():
    """The path of a Chromium-like browser, or None."""
    for name in [os.environ.get("CHROMIUM", ""), *BROWSERS]:
        path = shutil.which(name) if name else None
        if path:
            return path
    return None


def sections(page, words=("listening-room",)):
    """Ids of the page's sections whose id contains one of ``words`` (first match each)."""
    ids = re.findall(r'<section id="([^"]+)"', page.read_text(encoding="utf-8", errors="replace"))
    return [next((i for i in ids if w in i), None) for w in words]


def shoot(browser, url, png, width, height, wait_ms):
    """One screenshot of ``url`` (a file:// address, with an optional #anchor) into ``png``."""
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--no-first-run", "--mute-audio", "--allow-file-access-from-files",
           f"--window-size={width},{height}", f"--virtual-time-budget={wait_ms}",
           f"--screenshot={png}", url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    if done.returncode or not png.is_file():
        raise RuntimeError(f"chromium failed on {url}: {done.stderr.strip()[-500:]}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="lessons (number or page name); default: all and the index")
    parser.add_argument("--book", default=str(ROOT / "build" / "book"), help="the built site")
    parser.add_argument("--out", default=None, help="default: BOOK/screenshots")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1800)
    parser.add_argument("--wait-ms", type=int, default=8000, help="page time for scripts (MathJax) to run")
    args = parser.parse_args(argv)

    browser = find_browser()
    if browser is None:
        sys.exit("chromium is missing: install it (Debian/Ubuntu: 'sudo apt-get install chromium'), "
                 "or name a Chromium-like browser in $CHROMIUM")
    book = Path(args.book).resolve()
    if not (book / "index.html").is_file():
        sys.exit(f"no built book in {book}: run 'make book' first")
    out = Path(args.out).resolve() if args.out else book / "screenshots"
    out.mkdir(parents=True, exist_ok=True)

    lessons = sorted(book.glob("[0-9][0-9]_*.html"))
    if args.names:
        lessons = [p for p in lessons if any(p.stem == n or p.stem.startswith(f"{n}_") for n in args.names)]
        if not lessons:
            sys.exit(f"no page in {book} matches {args.names}")
    shots = [] if args.names else [("index", book / "index.html", None)]
    for page in lessons:
        shots.append((page.stem, page, None))
        for anchor in sections(page):
            if anchor:
                shots.append((f"{page.stem}-{anchor}", page, anchor))

    for name, page, anchor in shots:
        png = out / f"{name}.png"
        png.unlink(missing_ok=True)
        start = time.perf_counter()
        shoot(browser, page.as_uri() + (f"#{anchor}" if anchor else ""), png, args.width, args.height, args.wait_ms)
        print(json.dumps({"page": page.name + (f"#{anchor}" if anchor else ""), "file": str(png),
                          "seconds": round(time.perf_counter() - start, 1)}), flush=True)


if __name__ == "__main__":
    main()
