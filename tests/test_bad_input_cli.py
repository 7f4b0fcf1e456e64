"""Bad input at the command line: refused before the work, in one line, with a status a shell
script can test, no traceback, and nothing the user had changed."""
import errno
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from seplib import audio, train
from seplib.cli import main
from seplib.data.chunks import FixedChunks, RandomChunks
from seplib.models import checkpoint

STEMS4 = ["bass.wav", "drums.wav", "other.wav", "vocals.wav"]


def hashes(folder):
    """``{relative path: sha256}`` of every file under a folder (hidden ones too; not the empty
    ``.lock`` that a training run takes)."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}


def refused(argv, capsys, status=1):
    """Run the command line; return its one line of error after checking status and no traceback."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    err = capsys.readouterr().err
    code = stop.value.code
    message = code if isinstance(code, str) else err.strip()
    assert (1 if isinstance(code, str) else code) == status, message
    assert "Traceback" not in err and "\n" not in message.strip(), message
    return message


@pytest.fixture
def song(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "song.wav"
    audio.save(path, (0.1 * rng.standard_normal((2, 22050))).astype(np.float32), 44100)
    return path


@pytest.fixture
def stem_set(tmp_path, song):
    """A folder holding the stems of a first run (the user's work to keep)."""
    out = tmp_path / "stems"
    main(["separate", str(song), "--method", "mixture", "--out", str(out)])
    return out


@pytest.fixture
def no_separating(monkeypatch):
    """Fail the test if the command gets as far as separating or scoring."""
    from seplib import metrics, separation

    def too_far(*args, **kwargs):
        raise AssertionError("the work started before the refusal")

    monkeypatch.setattr(separation, "separate", too_far)
    monkeypatch.setattr(metrics, "evaluate", too_far)


class Tiny(nn.Module):
    """A stand-in waveform model saved as a ``conv1d`` run (a few parameters, trains in ms)."""
    name = "conv1d"

    def __init__(self):
        super().__init__()
        self.stems, self.hparams = ("drums", "bass", "other", "vocals"), {"init": 0.0}
        self.gain = nn.Parameter(torch.zeros(4))

    def forward(self, mixture):
        return self.gain[None, :, None, None] * mixture[:, None]


def toy_data():
    rng = np.random.default_rng(0)
    tracks = [(0.1 * rng.standard_normal((4, 2, 8000))).astype(np.float32) for _ in range(2)]
    return (RandomChunks(tracks, seconds=0.1, samples_per_epoch=8, rate=8000, seed=0),
            FixedChunks(tracks[:1], seconds=0.1, per_track=1, rate=8000))


def fit_tiny(out, steps=4, **kwargs):
    return train.fit(Tiny(), *toy_data(), steps=steps, batch_size=2, valid_every=2, out_dir=out,
                     device="cpu", progress=False, **kwargs)


@pytest.fixture
def run_dir(tmp_path):
    fit_tiny(tmp_path / "run")
    return tmp_path / "run"


def truncate(path, keep=0.5):
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: int(len(data) * keep)])


# --- separate: the output is checked before the work ------------------------------------------

def test_separate_refuses_an_existing_set_before_separating(stem_set, song, capsys, no_separating):
    before = hashes(stem_set)
    message = refused(["separate", str(song), "--method", "hpss", "--out", str(stem_set)], capsys)
    assert "not overwriting" in message and str(stem_set / "drums.wav") in message and "--force" in message
    assert hashes(stem_set) == before


def test_separate_refuses_an_empty_out(song, capsys, no_separating, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = hashes(tmp_path)
    message = refused(["separate", str(song), "--method", "mixture", "--out", ""], capsys)
    assert "--out is empty" in message
    assert hashes(tmp_path) == before


def test_separate_refuses_an_out_that_is_a_file(song, tmp_path, capsys, no_separating):
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    message = refused(["separate", str(song), "--method", "mixture", "--out", str(notes)], capsys)
    assert str(notes) in message and "is a file" in message
    assert notes.read_text() == "mine"


def test_separate_refuses_an_unwritable_out_before_separating(song, tmp_path, capsys, no_separating,
                                                               monkeypatch):
    import tempfile

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", kwargs.get("dir"))

    monkeypatch.setattr(tempfile, "mkdtemp", denied)
    out = tmp_path / "new" / "stems"
    message = refused(["separate", str(song), "--method", "mixture", "--out", str(out)], capsys)
    assert str(out) in message and "permission denied" in message
    assert not (tmp_path / "new").exists()  # no empty folders left behind


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes read-only folders")
def test_separate_refuses_a_read_only_out(song, tmp_path, capsys, no_separating):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        message = refused(["separate", str(song), "--method", "mixture", "--out", str(out / "stems")], capsys)
    finally:
        out.chmod(0o755)
    assert str(out) in message and "permission denied" in message


def test_separate_refuses_a_missing_song_before_touching_out(tmp_path, capsys):
    message = refused(["separate", str(tmp_path / "nope.wav"), "--method", "mixture",
                       "--out", str(tmp_path / "out")], capsys)
    assert "nope.wav" in message and "not found" in message
    assert not (tmp_path / "out").exists()


# --- separate: --force replaces a whole set, atomically ------------------------------------------

def test_force_replaces_the_whole_set_no_stems_of_two_methods_side_by_side(stem_set, song, capsys):
    main(["separate", str(song), "--method", "hpss", "--out", str(stem_set), "--force"])
    assert sorted(p.name for p in stem_set.iterdir()) == ["drums.wav", "other.wav"]  # no stale bass/vocals
    assert not list(stem_set.parent.glob(".*seplib*"))


def test_force_refuses_a_set_mixed_with_other_files(stem_set, song, capsys, no_separating):
    (stem_set / "notes.txt").write_text("mine")
    before = hashes(stem_set)
    message = refused(["separate", str(song), "--method", "mixture", "--out", str(stem_set), "--force"], capsys)
    assert str(stem_set) in message and "notes.txt" in message
    assert hashes(stem_set) == before


def test_ctrl_c_while_writing_leaves_the_old_set_and_no_part_files(stem_set, song, capsys, monkeypatch):
    import soundfile as sf

    before = hashes(stem_set)
    real_write, files = sf.SoundFile.write, []

    def interrupted(self, data):
        if self.name not in files:
            files.append(self.name)
        if len(files) == 2:  # hpss writes two stems: stopped at the last one
            raise KeyboardInterrupt
        return real_write(self, data)

    monkeypatch.setattr(sf.SoundFile, "write", interrupted)
    message = refused(["separate", str(song), "--method", "hpss", "--out", str(stem_set), "--force"],
                      capsys, status=130)
    assert "interrupted" in message
    assert hashes(stem_set) == before
    assert not [p for p in stem_set.parent.rglob("*") if "part" in p.name or "seplib" in p.name]


def test_disk_full_while_writing_names_the_file_and_keeps_the_old_set(stem_set, song, capsys, monkeypatch):
    import soundfile as sf

    before = hashes(stem_set)

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device", self.name)

    monkeypatch.setattr(sf.SoundFile, "write", full)
    message = refused(["separate", str(song), "--method", "mixture", "--out", str(stem_set), "--force"], capsys)
    assert str(stem_set / "drums.wav") in message and "disk is full" in message
    assert hashes(stem_set) == before
    assert not list(stem_set.parent.glob(".*seplib*"))


def dead_pid():
    """The number of a process that has exited."""
    import subprocess
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_killed_writer_leaves_nothing_the_next_run_does_not_clean(stem_set, song, capsys):
    """kill -9 while writing leaves ``.OUT.seplib-new-PID-*``: the next run removes it, keeps the set."""
    half = stem_set.parent / f".{stem_set.name}.seplib-new-{dead_pid()}-abc"
    half.mkdir()
    (half / "drums.wav").write_bytes(b"RIFF half")
    live = stem_set.parent / f".{stem_set.name}.seplib-new-{os.getpid()}-xyz"  # a run still going
    live.mkdir()
    before = hashes(stem_set)
    main(["separate", str(song), "--method", "mixture", "--out", str(tmp := stem_set.parent / "other")])
    assert half.exists(), "another --out's cleanup must not touch this one"
    refused(["separate", str(song), "--method", "mixture", "--out", str(stem_set)], capsys)
    assert not half.exists() and live.exists()
    assert hashes(stem_set) == before and tmp.is_dir()


def test_a_kill_between_the_two_renames_puts_the_old_set_back(stem_set, song, capsys):
    before = hashes(stem_set)
    hidden = stem_set.with_name(f".{stem_set.name}.seplib-old-{dead_pid()}")
    os.replace(stem_set, hidden)  # where a swap killed after its first rename leaves the set
    with pytest.raises(SystemExit):  # put back, then refused: the set exists and there is no --force
        main(["separate", str(song), "--method", "mixture", "--out", str(stem_set)])
    assert "put back" in capsys.readouterr().out
    assert hashes(stem_set) == before and not hidden.exists()


def test_stems_go_in_beside_other_files_without_touching_them(song, tmp_path, capsys):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    main(["separate", str(song), "--method", "hpss", "--out", str(folder)])
    assert sorted(p.name for p in folder.iterdir()) == ["drums.wav", "notes.txt", "other.wav"]
    assert (folder / "notes.txt").read_text() == "mine"


# --- evaluate: --json checked before scoring -----------------------------------------------------

def test_evaluate_refuses_a_json_that_is_a_folder(tmp_path, capsys, no_separating):
    folder = tmp_path / "scores"
    folder.mkdir()
    message = refused(["evaluate", "--method", "mixture", "--json", str(folder)], capsys)
    assert str(folder) in message and "is a folder" in message


def test_evaluate_refuses_a_json_under_a_file(tmp_path, capsys, no_separating):
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    message = refused(["evaluate", "--method", "mixture", "--json", str(notes / "scores.json")], capsys)
    assert "notes.txt" in message and "cannot write" in message
    assert notes.read_text() == "mine"


def test_evaluate_refuses_an_existing_json_before_scoring(tmp_path, capsys, no_separating):
    scores = tmp_path / "scores.json"
    scores.write_text("{}")
    message = refused(["evaluate", "--method", "mixture", "--json", str(scores)], capsys)
    assert str(scores) in message and "not overwriting" in message
    assert scores.read_text() == "{}"


# --- checkpoints: one line naming the file and what is wrong ------------------------------------

def test_truncated_checkpoint_for_separate_and_evaluate(run_dir, song, tmp_path, capsys, no_separating):
    broken = tmp_path / "broken.pt"
    broken.write_bytes((run_dir / "best.pt").read_bytes())
    truncate(broken)
    for argv in (["separate", str(song), "--out", str(tmp_path / "o")], ["evaluate"]):
        message = refused([*argv, "--method", "conv1d", "--checkpoint", str(broken)], capsys)
        assert str(broken) in message and "truncated" in message
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("content, said", [
    (lambda: {"w": torch.zeros(3)}, "bare state dict"),
    (lambda: nn.Linear(2, 2), "Python objects"),
    (lambda: b"not a checkpoint at all", "cannot read it"),
    (lambda: b"", "empty"),
])
def test_foreign_checkpoint_is_named_in_one_line(content, said, song, tmp_path, capsys, no_separating):
    path = tmp_path / "foreign.pt"
    value = content()
    path.write_bytes(value) if isinstance(value, bytes) else torch.save(value, path)
    message = refused(["separate", str(song), "--method", "unet", "--checkpoint", str(path),
                       "--out", str(tmp_path / "o")], capsys)
    assert str(path) in message and said in message


def test_checkpoint_of_another_model_names_both(run_dir, song, tmp_path, capsys, no_separating):
    message = refused(["separate", str(song), "--method", "unet", "--checkpoint", str(run_dir / "best.pt"),
                       "--out", str(tmp_path / "o")], capsys)
    assert "'conv1d'" in message and "'unet'" in message


def test_checkpoint_for_a_method_that_takes_none(song, tmp_path, capsys):
    message = refused(["separate", str(song), "--method", "hpss", "--checkpoint", "x.pt",
                       "--out", str(tmp_path / "o")], capsys)
    assert "hpss takes no checkpoint" in message


# --- train ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("steps", ["0", "-3"])
def test_train_refuses_steps_that_train_nothing(steps, tmp_path, capsys):
    message = refused(["train", "conv1d", "--steps", steps, "--out", str(tmp_path / "run")], capsys)
    assert f"got {steps}" in message and "positive" in message
    assert not (tmp_path / "run").exists()


def test_resume_with_fewer_steps_says_the_run_is_past_them(run_dir, tiny_root, capsys):
    before = hashes(run_dir)
    message = refused(["train", "conv1d", "--out", str(run_dir), "--resume", "--steps", "2",
                       "--root", str(tiny_root)], capsys)
    assert "last.pt" in message and "already at step 4" in message and "2 steps" in message
    assert hashes(run_dir) == before


def test_resume_as_another_model_names_both(run_dir, tiny_root, capsys):
    before = hashes(run_dir)
    message = refused(["train", "unet", "--out", str(run_dir), "--resume", "--root", str(tiny_root)], capsys)
    assert "'conv1d'" in message and "'unet'" in message and len(message) < 300
    assert hashes(run_dir) == before


def test_resume_from_a_truncated_last_pt(run_dir, tiny_root, capsys):
    truncate(run_dir / "last.pt")
    before = hashes(run_dir)
    message = refused(["train", "conv1d", "--out", str(run_dir), "--resume", "--root", str(tiny_root)], capsys)
    assert str(run_dir / "last.pt") in message and "truncated" in message
    assert hashes(run_dir) == before


def test_a_broken_best_pt_does_not_block_a_sound_last_pt(run_dir, capsys):
    truncate(run_dir / "best.pt")
    history = fit_tiny(run_dir, steps=6, resume=True)
    assert history["step"][-1] == 6
    assert "best.pt" in capsys.readouterr().out
    assert checkpoint.read(run_dir / "best.pt")["step"] == 6  # written again


def test_ctrl_c_during_training_says_the_step_and_how_to_resume(tmp_path, capsys, monkeypatch):
    from seplib.losses import loss_for

    loss, calls = loss_for("conv1d"), []

    def stopped(model, mixture, stems):
        if model.training:
            calls.append(1)
            if len(calls) == 6:
                raise KeyboardInterrupt
        return loss(model, mixture, stems)

    with pytest.raises(train.TrainingInterrupted) as stop:
        fit_tiny(tmp_path / "run", steps=8, loss=stopped, checkpoint_every=2)
    assert stop.value.step == 5 and stop.value.saved_step == 4
    assert checkpoint.read(tmp_path / "run" / "last.pt")["state"]["step"] == 4

    def interrupted(*args, **kwargs):
        raise stop.value

    monkeypatch.setattr(train, "train_model", interrupted)
    message = refused(["train", "conv1d", "--out", str(tmp_path / "run"), "--resume"], capsys, status=130)
    assert "stopped at step 5" in message and "--resume" in message and "step 4" in message


# --- data, offline -------------------------------------------------------------------------------

def test_offline_previews_is_one_line_and_leaves_no_musdb_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SEPLIB_OFFLINE", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    message = refused(["evaluate", "--method", "mixture", "--root", "previews"], capsys)
    assert "previews" in message and "internet" in message
    assert not (tmp_path / "MUSDB18").exists()


# --- no traceback from the shell; SEPLIB_DEBUG=1 shows it ----------------------------------------

def test_the_shell_sees_one_line_and_a_status_and_debug_shows_the_traceback(tmp_path):
    argv = [sys.executable, "-m", "seplib", "separate", str(tmp_path / "nope.wav"), "--method", "mixture",
            "--out", str(tmp_path / "o")]
    env = {**os.environ, "SEPLIB_OFFLINE": "1"}
    env.pop("SEPLIB_DEBUG", None)
    plain = subprocess.run(argv, capture_output=True, text=True, env=env)
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    assert plain.stderr.strip().splitlines() == [f"seplib separate: song not found: {tmp_path / 'nope.wav'}"]
    debug = subprocess.run(argv, capture_output=True, text=True, env={**env, "SEPLIB_DEBUG": "1"})
    assert debug.returncode == 1 and "Traceback" in debug.stderr
    assert not (tmp_path / "o").exists()


def test_a_warning_is_one_plain_line(tmp_path):
    # a 22.05 kHz song through a 44.1 kHz method (dictionaries learned at 44.1 kHz): the resampling
    # notice, as a shell user reads it
    import subprocess
    import sys

    import numpy as np

    from seplib import audio

    song = tmp_path / "song22k.wav"
    audio.save(song, 0.1 * np.random.default_rng(0).standard_normal((2, 22050)).astype(np.float32), 22050)
    done = subprocess.run([sys.executable, "-m", "seplib", "separate", str(song), "--method", "nmf-supervised",
                           "--size", "quick", "--out", str(tmp_path / "stems")],
                          capture_output=True, text=True, env={**os.environ, "SEPLIB_DEBUG": ""})
    lines = [line for line in done.stderr.splitlines() if "warning" in line.lower()]
    assert done.returncode == 0, done.stderr
    assert lines and all(line.startswith("seplib separate: warning: ") for line in lines), done.stderr
    assert "UserWarning" not in done.stderr and "44100" in lines[0] and "22050" in lines[0]
