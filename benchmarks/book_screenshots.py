"""What a reader of the built book sees: screenshots of its pages in headless Chromium.

Opens pages of the site that ``make book`` writes (``build/book/``) in headless Chromium and
saves PNG screenshots under ``build/book/screenshots/``: the index, the top of every lesson,
and on the lessons that have one, the listening room (the page scrolled to its table of
players). Chromium is driven over the DevTools protocol on a pipe: no extra package needed.
Prints one JSON object per screenshot (page, file, seconds).

Usage::

    make book && python benchmarks/book_screenshots.py            # every page
    python benchmarks/book_screenshots.py 02 08 --height 2400     # two lessons, taller shots

Needs Chromium (Debian: ``apt-get install chromium``); says so and stops when it is missing.
"""
import argparse
import base64
import json
import os
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


ROOM = "table.seplib-listening-room"
"""CSS selector of a listening room's table of players (seplib.listen.static_table)."""


class Browser:
    """Headless Chromium driven over the DevTools protocol on a pipe (no extra packages).

    The command-line ``--screenshot`` cannot scroll: a page opened at an #anchor far down
    comes out blank. Here the page is loaded, MathJax is waited for, and the view is
    scrolled to an element before the shot.
    """

    def __init__(self, path, width, height):
        import fcntl

        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_chrome_r, from_chrome_w)]

        def pipes_on_3_and_4():
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.proc = subprocess.Popen(
            [path, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--mute-audio", "--remote-debugging-pipe", f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=pipes_on_3_and_4)
        for fd in (to_chrome_r, from_chrome_w, *high):
            os.close(fd)
        self._buffer, self._id, self.width, self.height = b"", 0, width, height
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def _message(self, deadline):
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe (it crashed or could not start)")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(line)

    def call(self, method, session=False, timeout=60, **params):
        """Send a command; return its result (events that arrive meanwhile are dropped)."""
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._w, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._message(deadline)
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            if answer.get("method") == "Page.loadEventFired":
                self._loaded = True

    def evaluate(self, expression, timeout=60):
        result = self.call("Runtime.evaluate", session=True, timeout=timeout, expression=expression,
                           awaitPromise=True, returnByValue=True)
        return result.get("result", {}).get("value")

    def open(self, url, wait_s=10):
        """Load a page and wait for it (and for MathJax to typeset, when the page has it)."""
        self._loaded = False
        self.call("Page.navigate", session=True, url=url)
        deadline = time.monotonic() + 60
        while not self._loaded:
            answer = self._message(deadline)
            self._loaded = answer.get("method") == "Page.loadEventFired"
        self.evaluate("(window.MathJax && MathJax.startup && MathJax.startup.promise"
                      f" && Promise.race([MathJax.startup.promise, new Promise(r => setTimeout(r, {wait_s * 1000}))])"
                      ") || null", timeout=wait_s + 30)

    def scroll_to(self, selector):
        """Scroll the view to the first element matching ``selector``; False when there is none."""
        found = self.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                              " if (!e) return false; e.scrollIntoView({block: 'start'});"
                              " window.scrollBy(0, -80); return true; })()")
        time.sleep(0.3)
        return bool(found)

    def shot(self, png):
        data = self.call("Page.captureScreenshot", session=True, format="png")["data"]
        Path(png).write_bytes(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._w)
        os.close(self._r)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="lessons (number or page name); default: all and the index")
    parser.add_argument("--book", default=str(ROOT / "build" / "book"), help="the built site")
    parser.add_argument("--out", default=None, help="default: BOOK/screenshots")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1800)
    parser.add_argument("--wait-s", type=int, default=10, help="longest wait for MathJax on a page")
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
    pages = ([] if args.names else [book / "index.html"]) + lessons

    browser = Browser(browser, args.width, args.height)
    try:
        for page in pages:
            start = time.perf_counter()
            browser.open(page.as_uri(), wait_s=args.wait_s)
            shots = [(out / f"{page.stem}.png", None)]
            if "seplib-listening-room" in page.read_text(encoding="utf-8", errors="replace"):
                shots.append((out / f"{page.stem}-listening-room.png", ROOM))
            for png, selector in shots:
                if selector:
                    browser.scroll_to(selector)
                browser.shot(png)
                print(json.dumps({"page": page.name, "view": selector or "top", "file": str(png),
                                  "seconds": round(time.perf_counter() - start, 1)}), flush=True)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
