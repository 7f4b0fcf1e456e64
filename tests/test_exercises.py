"""Exercises: every notebook has at least two; each check says missing / wrong / right without
the answer; the instructor solutions pass every check and a typical wrong answer fails each.

The checks themselves are tested here without the notebooks, on small stand-ins for each
notebook's data (:func:`context`): the solution passes, and each exercise's typical wrong answers
and shortcuts (at least three) are refused."""
import copy
import importlib
import json
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from nbclient.exceptions import CellTimeoutError

from seplib import STEMS
from seplib.exercises import UNANSWERED, Exercise, close, exercises_of, uses
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
    assert ex.status == "wrong" and "not quite: not the right value" in out and "42" not in out
    ex.check(43)  # no direction either way: nothing to bisect on
    assert capsys.readouterr().out == out
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
    assert close(True, 1.0, 0.1) == "expected a number, got bool"
    assert close(float("inf"), 1e9, 1.0) == "inf is not a finite number"
    assert close(1.05, 1.0, 0.1) is None
    assert close(0.5, 1.0, 0.1) == close(1.5, 1.0, 0.1) == "not the right value"


def test_uses_finds_a_library_call_or_a_named_helper():
    from seplib import spectral
    from seplib.spectral import ideal_ratio_mask

    space = {"spectral": spectral, "irm": ideal_ratio_mask, "np": np}
    exec("def a(m): return spectral.ideal_ratio_mask(m)\n"
         "def b(m): return irm(m)\n"
         "def c(m):\n    from seplib import spectral as s\n    return s.wiener_mask(m)\n"
         "def d(m): return np.sum(m)\n"
         "def e(x): return helper(x)\n", space)
    for name in "abc":
        assert uses(space[name], modules=("seplib.spectral",)), name
    assert uses(space["d"], modules=("seplib.spectral",)) == []
    assert uses(space["e"], names=("helper",)) == ["helper"]


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


CELL_TIMEOUT = 600
"""Seconds a cell may take here (the slowest take seconds at the quick size). Without a limit, a
reply the kernel sent but the test's client never woke up for (a rare race of zmq's asyncio
sockets: the kernel idle, the client waiting) would hold the test run for ever."""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_solutions_pass_and_wrong_answers_fail(path, tmp_path, monkeypatch):
    """The notebook run top to bottom with, per exercise: the placeholder, the solution, a wrong answer."""
    log = tmp_path / "checks.jsonl"
    monkeypatch.setenv("SEPLIB_EXERCISE_LOG", str(log))
    filled = fill(nbformat.read(path, as_version=4), path.stem, verify=True)
    try:
        execute(copy.deepcopy(filled), timeout=CELL_TIMEOUT)
    except CellTimeoutError:  # a reply the client never saw: once more, in a fresh kernel, with a fresh log
        log.unlink(missing_ok=True)
        execute(filled, timeout=CELL_TIMEOUT)
    seen = [(r["exercise"], r["status"]) for r in map(json.loads, log.read_text().splitlines())]
    want = [(e.number, s) for e in exercises_of(path.stem) for s in ("unanswered", "correct", "wrong")]
    assert seen == want


# --- the checks on stand-ins for each notebook's data ------------------------------------------


def _constructed(period=6, rate=8000):
    """Notebook 03's constructed song, in miniature: a noise loop and a phrase of one period."""
    from seplib import classical
    from seplib.classical import repet

    hop = classical.HOP
    L = period * hop
    rng = np.random.default_rng(0)
    loop = (0.3 * rng.standard_normal((2, L))).astype(np.float32)
    phrase = (np.sin(2 * np.pi * 440 * np.arange(L) / rate) * np.hanning(L) * np.ones((2, 1))).astype(np.float32)

    def constructed_song(voiced, n_segments=8):
        voice = np.zeros((2, n_segments * L), dtype=np.float32)
        for i in voiced:
            voice[:, i * L:(i + 1) * L] = phrase
        return np.tile(loop, (1, n_segments)) + voice, voice

    def repet_vocals(song, model):
        X_s, V_s = classical.spectrogram(song)
        mask = repet.background_mask(model(V_s, period), V_s, 2)
        return classical.masks_to_estimates(X_s, {"accompaniment": mask}, song, rest="vocals")["vocals"]

    def segment_mean_model(V, period):
        count = -(-V.shape[-1] // period)
        padded = np.full(V.shape[:-1] + (count * period,), np.nan, dtype=np.float32)
        padded[..., : V.shape[-1]] = V
        segment = np.nanmean(padded.reshape(V.shape[:-1] + (count, period)), axis=-2)
        return np.minimum(np.tile(segment, count)[..., : V.shape[-1]], V)

    return dict(constructed_song=constructed_song, repet_vocals=repet_vocals, segment_mean_model=segment_mean_model)


def _leaderboard():
    import pandas as pd

    rows = ["mixture", "oracle-irm", "oracle-ibm", "hpss", "repet", "nmf", "unet", "demucs-lite", "dprnn"]
    rng = np.random.default_rng(1)
    sdr = pd.DataFrame(rng.uniform(-3, 6, (len(rows), 4)), index=rows, columns=list(STEMS))
    sdr.loc["mixture"] -= 5
    sdr.loc[["oracle-irm", "oracle-ibm"]] += 6
    sdr.loc["hpss", "bass"] = np.nan
    return sdr


def context(notebook, number):
    """``(namespace, kwargs)``: what an answer cell of the exercise sees, and what the notebook's
    check cell passes, on small stand-ins for the notebook's data."""
    from scipy.ndimage import median_filter
    from torch import nn
    import torch.nn.functional as F

    from seplib import classical, metrics, models, separate, spectral
    from seplib.classical import nmf, repet
    from seplib.models.dprnn import split_chunks

    ex = importlib.import_module(f"seplib.exercises.nb{notebook}")
    rng = np.random.default_rng(int(notebook) * 10 + number)
    ns = dict(np=np, torch=torch, nn=nn, F=F, STEMS=STEMS, ex=ex, spectral=spectral, metrics=metrics,
              classical=classical, nmf=nmf, repet=repet, separate=separate, median_filter=median_filter,
              split_chunks=split_chunks)
    rate = 44100
    if notebook == "00":
        stems = {s: (0.1 * (i + 1) * rng.standard_normal((2, rate))).astype(np.float32) for i, s in enumerate(STEMS)}
        stems["vocals"][:, : rate // 3] = 0.0                                  # a rest
        return ns, ({"stems": stems} if number == 1 else {"vocals": stems["vocals"], "rate": rate})
    if notebook == "01":
        if number == 1:
            return ns, {"rate": rate}
        if number == 2:
            return ns, {"mags": {s: torch.rand(2, 9, 11) + 0.01 for s in STEMS}}
        ref = rng.standard_normal((2, 3000))
        return ns, {"estimate": 0.7 * ref + 0.2 * rng.standard_normal((2, 3000)), "reference": ref}
    if notebook == "02":
        if number == 1:
            return ns, {"rate": rate, "hop": classical.HOP}
        V = rng.random((2, 40, 60)).astype(np.float32) ** 2
        if number == 2:
            return ns, {"V": V, "L_h": 9, "L_p": 5}
        return ns, {"harmonic_mask": rng.random(V.shape), "drum_power": V, "hz": np.arange(40) * rate / 4096}
    if notebook == "03":
        if number == 1:
            return ns, {"period": 88, "hop": 1024, "rate": rate}
        song = _constructed()
        ns.update(song)
        if number == 2:
            return ns, {"constructed_song": song["constructed_song"], "repet_vocals": song["repet_vocals"]}
        mixture, voice = song["constructed_song"]([1, 4, 5])
        ns.update(mixture=mixture, stems={"vocals": voice}, rate=8000)
        return ns, {"mixture": mixture, "vocals": voice, "rate": 8000}
    if notebook == "04":
        W_true = rng.random((16, 2)) + 0.05
        H_true = rng.random((2, 24)) * (rng.random((2, 24)) > 0.4)
        V_toy = W_true @ H_true + 0.01 * rng.random((16, 24))
        ns.update(W_true=W_true, H_true=H_true, V_toy=V_toy)
        if number == 1:
            return ns, {"V": rng.random((2, 65, 40)), "n_components": 8}
        if number == 2:
            return ns, {"V": V_toy, "W": rng.random((16, 2)) + 0.1, "H": rng.random((2, 24)) + 0.1}
        return ns, {"V": V_toy, "W": W_true}
    if notebook == "05":
        hparams = models.hparams("unet", "quick")
        unet = models.build("unet", **hparams)
        if number == 3:
            return ns, {"hparams": hparams, "noise": 0.1 * torch.randn(1, 2, 8000)}
        return ns, ({"unet": unet, "rate": rate} if number == 1 else {"unet": unet})
    if notebook == "06":
        if number == 1:
            return ns, {}
        if number == 2:
            g = torch.Generator().manual_seed(0)
            X = torch.complex(torch.randn(2, 20, 30, generator=g), torch.randn(2, 20, 30, generator=g))
            S = X * (0.2 + 1.2 * torch.rand(2, 20, 30, generator=g)) * torch.exp(2j * torch.rand(2, 20, 30, generator=g))
            return ns, {"vocals": S, "X": X}

        class Stacked(nn.Module):
            def __init__(self, separator, refiner):
                super().__init__()
                self.separator, self.refiner = separator, refiner
                self.stems, self.audio_channels = separator.stems, separator.audio_channels

            def forward(self, mixture):
                return self.refiner(self.separator(mixture))

        return ns, {"Stacked": Stacked}
    if notebook == "07":
        return ns, ({"rate": rate, "hop": 512} if number == 3 else {})
    if notebook == "08":
        sdr = _leaderboard()
        learned = ["unet", "demucs-lite", "dprnn"]
        ns.update(sdr=sdr, FAMILIES={"learned": learned})
        if number == 1:
            return ns, {"sdr": sdr, "separators": ["hpss", "repet", "nmf", *learned]}
        if number == 2:
            return ns, {"sdr": sdr, "learned": learned}
        return ns, {"reference": rng.standard_normal((2, 4000)).astype(np.float32)}
    if notebook == "09":
        if number == 1:
            board = _leaderboard().rename(index={"unet": "unet (fine-tuned)"})

            def share_of_oracle(table, method, oracle="oracle-irm"):
                return (table.loc[method] - table.loc["mixture"]) / (table.loc[oracle] - table.loc["mixture"])

            ns.update(board=board, share_of_oracle=share_of_oracle)
            return ns, {"board": board}
        return ns, {"steps": 4, "batch_size": 2, "seconds": 3.0, "durations": [6.0] * 3}
    raise KeyError(notebook)


def answer_of(code, ns, ex):
    """The answer an answer cell leaves behind: the name its exercise's `missing` line names first."""
    import re

    space = dict(ns)
    exec(code, space)
    name = re.search(r"`([A-Za-z_][A-Za-z_0-9]*)", ex.missing).group(1)
    return space[name]


STAND_INS = {f"{i:02d}" for i in range(10)}
"""Notebooks :func:`context` has stand-ins for (a later notebook tests its checks in its own file)."""

ALL = [(ex.notebook[:2], ex) for path in NOTEBOOKS if path.stem[:2] in STAND_INS for ex in exercises_of(path.stem)]


@pytest.mark.parametrize("notebook, ex", ALL, ids=[f"{n}-q{e.number}" for n, e in ALL])
def test_the_solution_passes_and_wrong_answers_and_shortcuts_fail(notebook, ex):
    ns, kwargs = context(notebook, ex.number)
    assert len(ex.wrong_codes) >= 3, f"{ex.notebook} exercise {ex.number}: fewer than three wrong answers tried"
    verdict = ex.verdict(answer_of(ex.solution_code, ns, ex), **kwargs)
    assert verdict is None, f"the solution is refused: {verdict}"
    for code in ex.wrong_codes:
        try:
            answer = answer_of(code, ns, ex)
        except Exception:                     # a wrong answer whose cell fails already is refused there
            continue
        verdict = ex.verdict(answer, **kwargs)  # a raise is "not quite" too
        assert verdict is not None and verdict is not UNANSWERED, f"a wrong answer passes:\n{code}"
        for word in ("too large", "too small"):
            assert word not in str(verdict)
