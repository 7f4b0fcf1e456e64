"""How long each notebook takes to run, cell by cell, at a run size.

Executes notebooks (in a fresh kernel each, as ``pytest --nbval-lax`` and Colab do) and prints
one JSON object per notebook: total seconds, the slowest cells, the CPU seconds and peak memory
(resident set, MiB) of the kernel and its children (e.g. batch workers), and the error, if
any. On a shared machine the wall-clock seconds grow with the load; the CPU seconds do not. Nothing
in ``notebooks/`` is written: outputs stay in memory, or go to ``--text`` as plain text.

Usage::

    SEPLIB_SIZE=full python benchmarks/notebooks.py 05 06 --log times.jsonl --text out.txt

``--log`` gets a line per finished cell as it finishes, so a run stopped half-way still says
how far each notebook got and how long its cells took.
"""
import argparse
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from seplib import config

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def cell_text(cell):
    """The plain text a cell printed: streams and text/plain results (images and audio left out)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif "text/plain" in out.get("data", {}) and not out["data"]["text/plain"].startswith("<IPython"):
            parts.append(out["data"]["text/plain"] + "\n")  # a table's text; not a player or a figure
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}\n")
    return "".join(parts)


def tree_usage(pid):
    """Memory and processor time of process ``pid`` and all its children, now.

    Returns:
        (rss, cpu): resident bytes, and CPU seconds (user and system, with those of children
        already reaped); ``(0, 0.0)`` once the process is gone
    """
    try:
        import psutil
    except ImportError:
        return _proc_tree_usage(pid)
    try:
        root = psutil.Process(pid)
        procs = [root] + root.children(recursive=True)
    except psutil.Error:
        return 0, 0.0
    rss, cpu = 0, 0.0
    for proc in procs:
        try:
            with proc.oneshot():
                rss += proc.memory_info().rss
                t = proc.cpu_times()
                cpu += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return rss, cpu


def _proc_tree_usage(pid):
    """``tree_usage`` from /proc alone (Linux without psutil)."""
    children, cpu_of, tick = {}, {}, os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        cpu_of[int(entry.name)] = sum(int(f) for f in fields[11:15]) / tick  # utime stime cutime cstime
    rss, cpu, todo, page = 0, 0.0, [pid], os.sysconf("SC_PAGE_SIZE")
    while todo:
        current = todo.pop()
        try:
            rss += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
        cpu += cpu_of.get(current, 0.0)
        todo += children.get(current, [])
    return rss, cpu


class Usage:
    """Samples ``tree_usage(pid)`` every ``interval`` seconds in a thread, as a context manager.

    ``peak`` is the largest resident memory seen (bytes) and ``cpu`` the CPU seconds at the last
    sample: on a busy machine the wall-clock time overstates what the notebook needs, its CPU
    seconds do not.
    """

    def __init__(self, pid, interval=0.2):
        self.pid, self.interval, self.peak, self.cpu = pid, interval, 0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _take(self):
        rss, cpu = tree_usage(self.pid)
        self.peak, self.cpu = max(self.peak, rss), max(self.cpu, cpu)

    def _sample(self):
        while self.pid:
            self._take()
            if self._stop.wait(self.interval):
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        if self.pid:
            self._take()


def kernel_pid(client):
    """The process id of a started ``NotebookClient``'s kernel (None if it cannot be found)."""
    provisioner = getattr(client.km, "provisioner", None)
    process = getattr(provisioner, "process", None) or getattr(client.km, "kernel", None)
    return getattr(process, "pid", None)


def run(path, cell_timeout, log=None, text=None):
    """Execute one notebook cell by cell; returns its timing record."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    times, error, start = [], None, time.perf_counter()
    with client.setup_kernel(), Usage(kernel_pid(client)) as usage:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            begun = time.perf_counter()
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as exc:
                error = f"cell {index}: {str(exc).strip().splitlines()[-1][:300]}"
            seconds = time.perf_counter() - begun
            first = next((line for line in cell.source.splitlines() if line.strip()), "")
            times.append({"cell": index, "seconds": round(seconds, 2), "source": first[:80]})
            if log:
                with open(log, "a") as f:
                    f.write(json.dumps({"notebook": path.stem, **times[-1],
                                        "elapsed": round(time.perf_counter() - start, 1),
                                        "cpu_seconds": round(usage.cpu, 1),
                                        "peak_rss_mib": round(usage.peak / 2**20)}) + "\n")
            if text:
                with open(text, "a") as f:
                    f.write(f"--- {path.stem} cell {index} ({seconds:.1f} s): {first[:80]}\n{cell_text(cell)}")
            if error:
                break
    return {"notebook": path.stem, "size": os.environ.get("SEPLIB_SIZE", "(by device)"),
            "seconds": round(time.perf_counter() - start, 1), "code_cells": len(times),
            "slowest": sorted(times, key=lambda t: -t["seconds"])[:3],
            "cpu_seconds": round(usage.cpu, 1) if usage.pid else None,
            "peak_rss_mib": round(usage.peak / 2**20) if usage.pid else None, "error": error}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help="names or number prefixes (default: all, in order)")
    parser.add_argument("--size", help="run size (sets SEPLIB_SIZE for the kernels)")
    parser.add_argument("--cell-timeout", type=int, default=3600, help="seconds one cell may take")
    parser.add_argument("--log", help="append a JSON line per finished cell to this file")
    parser.add_argument("--text", help="append each cell's printed text to this file")
    args = parser.parse_args()
    if args.size:
        os.environ["SEPLIB_SIZE"] = args.size
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    failed = False
    for path in config.notebooks(args.notebooks, folder=NOTEBOOKS):
        record = run(path, args.cell_timeout, args.log, args.text)
        record.update(gpu=gpu, cpus=os.cpu_count(), python=platform.python_version())
        print(json.dumps(record), flush=True)
        failed |= record["error"] is not None
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
