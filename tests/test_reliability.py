"""Nothing silently wrong, nothing lost, nothing hung: damaged checkpoints and data sets, two
writers on one folder, symlinks, orphaned locks, foreign files, a full disk, Ctrl-C, huge runs.
Each test reproduces a fault first; the fix makes it a one-line refusal or a repair."""
import errno
import functools
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from seplib import audio, models
from seplib.cli import main
from seplib.models import checkpoint

from test_bad_input_cli import fit_tiny, hashes, refused  # noqa: F401  (shared helpers)

REPO = Path(__file__).resolve().parent.parent
STEMS4 = ["bass.wav", "drums.wav", "other.wav", "vocals.wav"]


@pytest.fixture
def song(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "song.wav"
    audio.save(path, (0.1 * rng.standard_normal((2, 22050))).astype(np.float32), 44100)
    return path


def conv1d_checkpoint(path, poison=None):
    """A real (untrained) conv1d checkpoint; ``poison`` puts NaN in its first weight."""
    torch.manual_seed(0)
    model = models.build("conv1d", **models.hparams("conv1d", size="quick"))
    state = model.state_dict()
    if poison is not None:
        first = next(k for k, v in state.items() if v.is_floating_point())
        state[first] = state[first].clone().fill_(poison)
    return checkpoint.save(path, {**checkpoint.model_info(model), "model_state": state})


def rot(path, count=100):
    """Overwrite ``count`` bytes in the middle of the largest tensor's data (bit rot)."""
    with zipfile.ZipFile(path) as z:
        entry = max((i for i in z.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    data = bytearray(Path(path).read_bytes())
    # the data follow the local header (30 bytes, the name, the extra field)
    name_len, extra_len = int.from_bytes(data[entry.header_offset + 26:entry.header_offset + 28], "little"), \
        int.from_bytes(data[entry.header_offset + 28:entry.header_offset + 30], "little")
    start = entry.header_offset + 30 + name_len + extra_len + entry.file_size // 2
    data[start:start + count] = np.random.default_rng(1).integers(0, 256, count, dtype=np.uint8).tobytes()
    Path(path).write_bytes(bytes(data))


# --- 1. damaged checkpoints ------------------------------------------------------------------------

def test_a_bit_rotted_checkpoint_is_refused_not_separated(song, tmp_path, capsys):
    bad = conv1d_checkpoint(tmp_path / "bad.pt")
    rot(bad)
    message = refused(["separate", str(song), "--method", "conv1d", "--checkpoint", str(bad),
                       "--out", str(tmp_path / "o")], capsys)
    assert str(bad) in message and "checksum" in message
    assert not (tmp_path / "o").exists()


def test_a_nan_checkpoint_is_refused(song, tmp_path, capsys):
    bad = conv1d_checkpoint(tmp_path / "nan.pt", poison=float("nan"))
    message = refused(["separate", str(song), "--method", "conv1d", "--checkpoint", str(bad),
                       "--out", str(tmp_path / "o")], capsys)
    assert str(bad) in message and "not finite" in message
    assert not (tmp_path / "o").exists()


def test_a_checkpoint_saved_before_checksums_still_loads_if_finite(tmp_path):
    good = conv1d_checkpoint(tmp_path / "good.pt")
    old = torch.load(good, weights_only=True)
    assert checkpoint.HASH_KEY in old
    del old[checkpoint.HASH_KEY]
    torch.save(old, tmp_path / "old.pt")  # as seplib wrote it before
    models.load(tmp_path / "old.pt", device="cpu", name="conv1d")
    old["model_state"][next(iter(old["model_state"]))].fill_(float("inf"))
    torch.save(old, tmp_path / "old-inf.pt")
    with pytest.raises(ValueError, match="not finite"):
        models.load(tmp_path / "old-inf.pt", device="cpu")


def test_a_bit_rotted_checkpoint_saved_before_checksums_is_refused(song, tmp_path, capsys):
    """A file without seplib's content hash is still a zip archive whose records carry CRC-32s:
    changed bytes in its weights are found there (torch itself loads such a file)."""
    good = conv1d_checkpoint(tmp_path / "good.pt")
    old = torch.load(good, weights_only=True)
    del old[checkpoint.HASH_KEY]
    torch.save(old, tmp_path / "old.pt")
    rot(tmp_path / "old.pt")
    torch.load(tmp_path / "old.pt", weights_only=True)  # torch does not notice
    message = refused(["separate", str(song), "--method", "conv1d", "--checkpoint", str(tmp_path / "old.pt"),
                       "--out", str(tmp_path / "o")], capsys)
    assert "old.pt" in message and "checksum" in message
    assert not (tmp_path / "o").exists()


def test_the_shipped_checkpoint_still_loads():
    shipped = REPO / "seplib" / "models" / "weights" / "unet-synth.pt"
    assert checkpoint.read(shipped)["model_name"] == "unet"


def test_a_bit_rotted_last_pt_does_not_resume(tmp_path):
    fit_tiny(tmp_path / "run")
    last = tmp_path / "run" / "last.pt"
    state = torch.load(last, weights_only=True)  # the Tiny model is small: rot its optimizer's moments
    data = bytearray(last.read_bytes())
    raw = state["optimizer_state"]["state"][0]["exp_avg"].numpy().tobytes()
    at = bytes(data).find(raw)
    assert at > 0
    data[at:at + 4] = b"\xff\xff\xff\x7f"
    last.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="checksum"):
        fit_tiny(tmp_path / "run", steps=6, resume=True)


def test_separate_refuses_non_finite_estimates(song, tmp_path, capsys, monkeypatch):
    from seplib import separation

    def broken(method, mixture, rate, **kwargs):
        return {"drums": np.full_like(mixture, np.nan), "bass": mixture}

    monkeypatch.setattr(separation, "separate", broken)
    message = refused(["separate", str(song), "--method", "hpss", "--out", str(tmp_path / "o")], capsys)
    assert "NaN" in message and "drums" in message
    assert not (tmp_path / "o").exists()


# --- 2. data sets: verified by content ----------------------------------------------------------

@pytest.fixture
def tiny(monkeypatch):
    """A run size of one-second songs (a data set in a fraction of a second), known to the CLI."""
    from seplib import config, sizes

    monkeypatch.setitem(sizes.TABLE, "tiny", {"data": dict(train=2, valid=1, test=1, seconds=1.0)})
    monkeypatch.setattr(config, "SIZES", config.SIZES + ("tiny",))
    return "tiny"


def wavs(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(Path(root).rglob("*.wav"))}


def _random_bytes(folder):
    path = folder / "mixture.wav"
    data = bytearray(path.read_bytes())
    data[2000:2400] = np.random.default_rng(3).integers(0, 256, 400, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    return "mixture.wav"


def _swap(folder):
    os.replace(folder / "drums.wav", folder / "tmp.wav")
    os.replace(folder / "bass.wav", folder / "drums.wav")
    os.replace(folder / "tmp.wav", folder / "bass.wav")
    return "drums.wav"


def _other_songs_stem(folder):
    other = next(p for p in folder.parent.iterdir() if p != folder)
    (folder / "vocals.wav").write_bytes((other / "vocals.wav").read_bytes())
    return "vocals.wav"


@pytest.mark.parametrize("damage", [_random_bytes, _swap, _other_songs_stem])
def test_data_reads_content_names_the_damaged_file_and_rewrites_it(damage, tmp_path, tiny, capsys):
    from seplib.data import synth

    root = synth.write_dataset(tmp_path / "set", size=tiny, progress=False)
    before = wavs(root)
    folder = sorted((root / "train").iterdir())[0]
    name = damage(folder)
    assert wavs(root) != before
    with pytest.warns(UserWarning, match=rf"{folder.name} \({name}: its content"):
        main(["data", "--size", tiny, "--root", str(root)])
    assert wavs(root) == before


def test_a_set_without_checksums_is_checked_by_the_mixture_sum_and_given_them(tmp_path, tiny):
    from seplib.data import synth

    root = synth.write_dataset(tmp_path / "set", size=tiny, progress=False)
    manifest = json.loads((root / "seplib.json").read_text())
    for info in manifest["song_info"].values():
        del info["sha256"]  # as written before the manifest held checksums
    (root / "seplib.json").write_text(json.dumps(manifest))
    (root / synth.VERIFIED).unlink()
    before = wavs(root)
    _random_bytes(sorted((root / "test").iterdir())[0])
    with pytest.warns(UserWarning, match="mixture.wav is not the exact sum"):
        synth.write_dataset(root, size=tiny, progress=False)
    assert wavs(root) == before
    assert all("sha256" in i for i in json.loads((root / "seplib.json").read_text())["song_info"].values())


def test_a_broken_manifest_is_one_line_naming_it(tmp_path, tiny, capsys):
    from seplib.data import synth

    root = synth.write_dataset(tmp_path / "set", size=tiny, progress=False)
    (root / "seplib.json").write_text('{"generator": "seplib.data.sy')
    message = refused(["data", "--size", tiny, "--root", str(root)], capsys)
    assert str(root / "seplib.json") in message and "damaged" in message


def test_a_broken_decoded_json_is_one_line_naming_it(tmp_path, capsys, monkeypatch):
    from seplib.data import decode

    out = tmp_path / "wav"
    out.mkdir()
    (out / "decoded.json").write_text("{not json")
    monkeypatch.setattr(decode, "stem_tracks", lambda root: [])
    message = refused(["data", "decode", "--root", str(tmp_path / "src"), "--out", str(out)], capsys)
    assert str(out / "decoded.json") in message and "damaged" in message


# --- 5, 6, 7: the stem folder ----------------------------------------------------------------------

@pytest.fixture
def no_separating(monkeypatch):
    from seplib import separation

    monkeypatch.setattr(separation, "separate", lambda *a, **k: pytest.fail("the work started before the refusal"))


def separate(song, out, *extra):
    main(["separate", str(song), "--method", "mixture", "--out", str(out), *extra])


def test_a_second_writer_on_the_same_out_is_refused_before_its_work(song, tmp_path, capsys, monkeypatch):
    from seplib.outputs import StemFolder

    out = tmp_path / "stems"
    first = StemFolder(out, ("mixture",), force=False)  # a run in progress: it holds the lock
    with monkeypatch.context() as m:
        m.setattr("seplib.separation.separate", lambda *a, **k: pytest.fail("the second run did its work"))
        message = refused(["separate", str(song), "--method", "mixture", "--out", str(out)], capsys)
    assert str(out) in message and "being written by another" in message and str(os.getpid()) in message
    first.discard()
    separate(song, out)  # the lock is free again, and its file gone
    assert sorted(p.name for p in out.iterdir()) == STEMS4
    assert not list(tmp_path.glob(".stems.seplib-*"))


def test_a_symlinked_out_is_written_through_and_stays_a_link(song, tmp_path, capsys):
    target = tmp_path / "target"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    separate(song, link)
    assert link.is_symlink() and (target / "drums.wav").is_file()
    first = (target / "drums.wav").read_bytes()
    separate(song, link, "--force")  # the set in the target is replaced; the link stays a link
    assert link.is_symlink() and sorted(p.name for p in target.iterdir()) == STEMS4
    assert (target / "drums.wav").read_bytes() == first


@pytest.mark.parametrize("kind", ["dangling", "looping"])
def test_a_dangling_or_looping_symlink_is_refused_before_the_work(kind, song, tmp_path, capsys, no_separating):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere" if kind == "dangling" else link)
    message = refused(["separate", str(song), "--method", "mixture", "--out", str(link)], capsys)
    assert str(link) in message and ("does not exist" if kind == "dangling" else "loops") in message
    assert link.is_symlink() and sorted(p.name for p in tmp_path.iterdir()) == ["link", "song.wav"]


def test_a_file_browsers_ds_store_does_not_block_force(song, tmp_path, capsys):
    out = tmp_path / "stems"
    separate(song, out)
    (out / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    separate(song, out, "--force")
    assert sorted(p.name for p in out.iterdir()) == STEMS4


def test_the_old_copy_of_a_swap_killed_after_its_second_rename_is_removed(song, tmp_path, capsys):
    out = tmp_path / "stems"
    separate(song, out)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    old = tmp_path / f".stems.seplib-old-{dead}"  # what a run killed between the rename and the rmtree left
    old.mkdir()
    (old / "drums.wav").write_bytes((out / "drums.wav").read_bytes())
    separate(song, out, "--force")
    assert not old.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.wav", "stems"]


def test_force_into_the_songs_own_folder_is_refused(tmp_path, capsys, no_separating):
    folder = tmp_path / "album"
    folder.mkdir()
    song = folder / "mixture.wav"
    audio.save(song, np.zeros((2, 4410), np.float32), 44100)
    before = song.read_bytes()
    message = refused(["separate", str(song), "--method", "mixture", "--out", str(folder), "--force"], capsys)
    assert "folder of the song" in message
    assert song.read_bytes() == before


# --- 8. nothing hangs after kill -9 -----------------------------------------------------------------

def _gone(pid, within=10.0):
    deadline = time.time() + within
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as f:  # a zombie waiting for its reaper is gone too
                if f.read().split(")")[-1].split()[0] == "Z":
                    return True
        except (ProcessLookupError, FileNotFoundError):
            return True
        time.sleep(0.1)
    return False


def _lock_free(path, within=10.0):
    import fcntl

    deadline = time.time() + within
    with open(path, "a") as f:
        while time.time() < deadline:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                time.sleep(0.1)
    return False


DECODER = """
import os, sys, time
from pathlib import Path
from seplib.data import decode

out = Path(sys.argv[1])
def slow(path, folder, ids):  # a song that takes long: the worker records itself, then waits
    (out.parent / "pids").mkdir(exist_ok=True)
    (out.parent / "pids" / str(os.getpid())).touch()
    time.sleep(120)
decode.decode_song = slow
decode.stem_tracks = lambda root: [("train", f"song {i}", f"/nowhere/{i}.stem.mp4", {}) for i in range(4)]
decode.decode_tree(out.parent / "src", out, workers=2, progress=False)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers that die with their parent: Linux")
def test_decode_killed_with_kill_9_leaves_no_workers_and_no_held_lock(tmp_path):
    out = tmp_path / "wav"
    parent = subprocess.Popen([sys.executable, "-c", DECODER, str(out)], env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        deadline = time.time() + 60
        while len(list((tmp_path / "pids").glob("*")) if (tmp_path / "pids").is_dir() else []) < 2:
            assert time.time() < deadline and parent.poll() is None, "the workers did not start"
            time.sleep(0.1)
        workers = [int(p.name) for p in (tmp_path / "pids").iterdir()]
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert all(_gone(pid) for pid in workers), "pool workers outlived their parent"
        assert _lock_free(out / ".decode.lock"), "the lock of the killed decode is still held"
    finally:
        parent.kill()
        for pid in [int(p.name) for p in (tmp_path / "pids").glob("*")]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


FORKER = """
import os, signal, sys, time
from seplib import config

with config.locked(sys.argv[1]):
    child = os.fork()
    if child == 0:  # a worker, still running when its parent is killed
        time.sleep(60)
        os._exit(0)
    open(sys.argv[2], "w").write(str(child))
    os.kill(os.getpid(), signal.SIGKILL)  # kill -9 while holding the lock
"""


def test_a_worker_forked_while_a_lock_is_held_does_not_keep_it(tmp_path):
    lock, pid_file = tmp_path / ".lock", tmp_path / "child"
    subprocess.run([sys.executable, "-c", FORKER, str(lock), str(pid_file)], timeout=60)
    child = int(pid_file.read_text())
    try:
        assert not _gone(child, within=0.2)  # the orphan still runs ...
        assert _lock_free(lock, within=2.0)  # ... and the lock is free all the same
    finally:
        os.kill(child, signal.SIGKILL)


def test_a_waiting_command_says_what_it_waits_for_and_who_holds_it(tmp_path):
    from seplib import config

    lock = tmp_path / ".synth-quick.lock"
    code = ("import sys; from seplib import config\n"
            "with config.locked(sys.argv[1], 'the quick data set'):\n    print('got it', flush=True)\n")
    with config.locked(lock):
        waiter = subprocess.Popen([sys.executable, "-c", code, str(lock)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        line = waiter.stderr.readline()
        assert "waiting for the quick data set" in line and f"process {os.getpid()}" in line, line
    out, err = waiter.communicate(timeout=60)
    assert out.strip() == "got it" and "Traceback" not in err


# --- 9. foreign files: one line naming them, not "a bug" ----------------------------------------------

@pytest.mark.parametrize("kind", ["text", "wav"])
def test_a_text_file_or_a_wav_as_checkpoint_is_one_line(kind, song, tmp_path, capsys, no_separating):
    path = tmp_path / "model.pt"
    if kind == "text":
        path.write_text("these are my notes, not a model\n" * 20)
    else:
        path.write_bytes(song.read_bytes())
    for method in ("unet", "conv1d"):
        message = refused(["separate", str(song), "--method", method, "--checkpoint", str(path),
                           "--out", str(tmp_path / "o")], capsys)
        assert str(path) in message and "not a seplib checkpoint" in message


def _stem_file(kind, path):
    import shutil

    import stempeg

    example = stempeg.example_stem_path()
    if kind == "text":
        path.write_text("not a song\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "two streams":
        subprocess.run(["ffmpeg", "-loglevel", "error", "-i", example, "-map", "0:0", "-map", "0:1", "-c", "copy",
                        str(path)], check=True)
    elif kind == "48 kHz":
        subprocess.run(["ffmpeg", "-loglevel", "error", "-i", example, "-map", "0:a", "-ar", "48000", "-c:a", "aac",
                        str(path)], check=True)
    else:
        shutil.copyfile(example, path)


@pytest.mark.skipif(not __import__("shutil").which("ffmpeg"), reason="needs ffmpeg")
@pytest.mark.parametrize("kind, said", [("text", "not a readable .stem.mp4"), ("empty", "is empty"),
                                        ("two streams", "holds 2 audio stream(s)"), ("48 kHz", "is at 48000 Hz")])
def test_a_foreign_stem_mp4_is_one_line_naming_it(kind, said, tmp_path, capsys):
    root = tmp_path / "musdb"
    (root / "train").mkdir(parents=True)
    (root / "test").mkdir()
    bad = root / "test" / "A - Song.stem.mp4"
    _stem_file(kind, bad)
    message = refused(["data", "decode", "--root", str(root), "--out", str(tmp_path / "wav"), "--workers", "1"],
                      capsys)
    assert str(bad) in message and said in message
    assert not list((tmp_path / "wav").rglob("*.wav"))


# --- 10. a full disk: "the disk is full: NAME", nothing temporary left ---------------------------------

@pytest.fixture
def full_disk(monkeypatch):
    """libsndfile's write fails as on a full disk ("System error."), and the disk has no room."""
    import shutil

    import soundfile as sf

    real, real_piece = sf.write, sf.SoundFile.write

    def write(file, *args, **kwargs):
        real(file, *args, **kwargs)  # the temporary file is there, half-written ...
        raise RuntimeError("Error writing file: System error.")  # ... when the disk fills

    def write_piece(self, data):  # a file written a piece at a time (the stems of `seplib separate`)
        real_piece(self, data)
        raise RuntimeError("Error writing file: System error.")

    monkeypatch.setattr(sf, "write", write)
    monkeypatch.setattr(sf.SoundFile, "write", write_piece)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(100, 100, 0))


def test_disk_full_while_separating(song, tmp_path, capsys, full_disk):
    out = tmp_path / "stems"
    message = refused(["separate", str(song), "--method", "mixture", "--out", str(out)], capsys)
    assert message.endswith(f"the disk is full: {out / 'drums.wav'}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.wav"]


def test_disk_full_while_writing_a_data_set(tmp_path, tiny, full_disk):
    from seplib.cli import _explain
    from seplib.data import synth

    with pytest.raises(OSError) as failed:
        synth.write_dataset(tmp_path / "set", size=tiny, progress=False)
    said = _explain(failed.value)[1]
    assert said.startswith("the disk is full: ") and said.endswith(".wav") and "/." not in said
    assert not list((tmp_path / "set").rglob("*.tmp"))


def test_disk_full_while_saving_a_checkpoint(tmp_path, monkeypatch):
    import builtins

    from seplib.cli import _explain

    class Full:
        def __init__(self, path, mode):
            self.file = builtins.open(path, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def write(self, data):
            self.file.write(bytes(data)[:100])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint, "open", Full, raising=False)
    with pytest.raises(OSError) as failed:
        fit_tiny(tmp_path / "run")
    assert _explain(failed.value)[1] == f"the disk is full: {tmp_path / 'run' / 'best.pt'}"
    assert not list((tmp_path / "run").glob("*.tmp"))


# --- 11. Ctrl-C at any moment: no traceback ----------------------------------------------------------

READY = "import sys, seplib.cli; print('ready', file=sys.stderr, flush=True); seplib.cli.main(['methods'])"


@functools.lru_cache(maxsize=None)
def _methods_listing():
    """What ``seplib methods`` prints when nothing interrupts it."""
    return subprocess.run([sys.executable, "-c", "import seplib.cli; seplib.cli.main(['methods'])"], cwd=REPO,
                          capture_output=True, text=True, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"}).stdout


@pytest.mark.parametrize("delay", [0.0, 0.5, 1.5])
def test_ctrl_c_in_the_first_seconds_is_one_line(delay):
    """From main()'s first line on (loading the methods, torch, building the parser, the work), a
    Ctrl-C is one line.  (Before it, Python itself and ``import seplib``'s numpy take a few tenths
    of a second: a Ctrl-C there is Python's.)  -2: Python re-raised the signal on exit, as it
    does after an interrupted import; the shell sees 130 either way."""
    command = subprocess.Popen([sys.executable, "-c", READY], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}, cwd=REPO)
    assert command.stderr.readline().strip() == "ready"
    time.sleep(delay)
    command.send_signal(signal.SIGINT)
    out, err = command.communicate(timeout=120)
    assert "Traceback" not in err, err
    assert command.returncode in (0, 130, -signal.SIGINT)  # (0: it had finished)
    if command.returncode == -signal.SIGINT and not err and out == _methods_listing():
        return  # it had finished too: the Ctrl-C came in Python's own shut-down, after the whole listing
    if command.returncode:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("seplib") and "interrupted (Ctrl-C)" in lines[0], err


# --- 12. huge --steps ----------------------------------------------------------------------------------

def test_the_batches_of_a_long_run_are_drawn_as_they_are_used(monkeypatch):
    from seplib import train

    drawn = []
    monkeypatch.setattr(train, "batch_indices", lambda step, *a: drawn.append(step) or [(0, 0), (0, 1)])
    data = train.batches([(torch.zeros(2, 4), torch.zeros(4, 2, 4))] * 2, 0, 10**6, 2)
    assert drawn == []  # nothing drawn up front (it was every step's, a list as long as the run)
    mixture, stems = next(data)
    assert drawn == [0] and tuple(mixture.shape) == (2, 2, 4)


def test_steps_beyond_any_run_are_refused_before_the_work(tmp_path, capsys):
    from seplib import train

    message = refused(["train", "conv1d", "--steps", "100000000", "--out", str(tmp_path / "run")], capsys)
    assert "at most" in message and "100,000,000" in message
    assert not (tmp_path / "run").exists()
    assert len(train._Plan(0, train.MAX_STEPS, 8, 100, 0)) == train.MAX_STEPS


# --- 3, 4, 13: smaller silent results and unclear refusals -------------------------------------------

def test_train_refuses_an_empty_out_before_the_work(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    message = refused(["train", "conv1d", "--out", "", "--steps", "2"], capsys)
    assert "--out is empty" in message
    assert list(tmp_path.iterdir()) == []


def test_a_mono_song_gives_mono_stems(tmp_path, capsys):
    import soundfile as sf

    song = tmp_path / "mono.wav"
    audio.save(song, (0.1 * np.random.default_rng(0).standard_normal((1, 8000))).astype(np.float32), 44100)
    separate(song, tmp_path / "o")
    assert {sf.info(str(p)).channels for p in (tmp_path / "o").iterdir()} == {1}


def test_a_quiet_float_song_is_not_rounded_to_silence(tmp_path, capsys):
    import soundfile as sf

    song = tmp_path / "quiet.wav"
    x = (1e-6 * np.random.default_rng(0).standard_normal((2, 8000))).astype(np.float32)  # under 1/32768
    sf.write(song, x.T, 44100, subtype="FLOAT")
    separate(song, tmp_path / "o")
    drums, _ = sf.read(tmp_path / "o" / "drums.wav", dtype="float32")
    assert sf.info(str(tmp_path / "o" / "drums.wav")).subtype == "FLOAT" and np.abs(drums).max() > 0


def test_a_fifo_as_song_is_not_called_a_folder(tmp_path, capsys, no_separating):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    message = refused(["separate", str(fifo), "--method", "mixture", "--out", str(tmp_path / "o")], capsys)
    assert "not a regular file" in message and "folder" not in message


def test_a_usage_error_is_one_line_naming_the_option(capsys):
    message = refused(["data", "--seed", "-1"], capsys, status=2)
    assert "--seed" in message and "0 or more" in message and "usage" not in message
    message = refused(["separate"], capsys, status=2)
    assert "required" in message and "usage" not in message


# --- 15. the stem folder's mode ---------------------------------------------------------------------

def test_a_new_stem_folder_follows_the_umask_and_an_existing_one_keeps_its_mode(song, tmp_path, capsys):
    old = os.umask(0o022)
    try:
        separate(song, tmp_path / "new")
        assert (tmp_path / "new").stat().st_mode & 0o777 == 0o755
        (tmp_path / "mine").mkdir()
        os.chmod(tmp_path / "mine", 0o750)
        separate(song, tmp_path / "mine")
        assert (tmp_path / "mine").stat().st_mode & 0o777 == 0o750
    finally:
        os.umask(old)


def test_a_corrupt_scores_file_is_refused_before_the_evaluation(tmp_path, tiny, monkeypatch):
    from seplib import metrics, separation
    from seplib.data import open_dataset, synth
    from seplib.metrics import store

    root = synth.write_dataset(tmp_path / "set", size=tiny, progress=False)
    tracks = open_dataset("test", root=root)
    path = store.scores_path("oracle-irm", "t", tmp_path / "results", tracks=tracks)
    path.parent.mkdir(parents=True)
    path.write_text('{"method": "oracle-irm", "data')  # cut short
    monkeypatch.setattr(separation, "separate", lambda *a, **k: pytest.fail("scored before refusing"))
    with pytest.raises(ValueError, match="not a seplib scores file") as err:
        metrics.evaluate("oracle-irm", tracks, dataset="t", results_dir=tmp_path / "results", progress=False)
    assert str(path) in str(err.value)


def test_resume_of_a_run_of_another_size_is_refused_before_its_data_set_is_written(tmp_path, capsys, monkeypatch):
    fit_tiny(tmp_path / "run")  # batch 2, chunks of 800 samples
    monkeypatch.setenv("SEPLIB_DATA", str(tmp_path / "data"))
    before = hashes(tmp_path / "run")
    message = refused(["train", "conv1d", "--size", "lab", "--resume", "--out", str(tmp_path / "run")], capsys)
    assert "last.pt" in message and "batch_size 2 (now 4)" in message
    assert not (tmp_path / "data").exists() or not list((tmp_path / "data").rglob("*.wav"))
    assert hashes(tmp_path / "run") == before


@pytest.mark.parametrize("channels", [3, 6])
def test_a_song_of_many_channels_is_separated_pair_by_pair(channels, tmp_path, capsys):
    import soundfile as sf

    song = tmp_path / "surround.wav"
    x = (0.1 * np.random.default_rng(0).standard_normal((channels, 8000))).astype(np.float32)
    sf.write(song, x.T, 44100, subtype="PCM_16")
    with pytest.warns(UserWarning, match=f"{channels} channels: separating them as stereo pairs"):
        separate(song, tmp_path / "o")
    drums, _ = sf.read(tmp_path / "o" / "drums.wav", dtype="float32", always_2d=True)
    assert drums.shape == (8000, channels)
    alone, _ = sf.read(song, dtype="float32", always_2d=True)  # the method "mixture" gives the mixture
    np.testing.assert_allclose(drums, alone, atol=2 / 32768)  # each channel where it was


def test_a_resumed_evaluation_keeps_its_finished_tracks_exactly(tmp_path):
    from seplib.metrics import store

    path, header = tmp_path / "scores.json", {"method": "m"}
    value = 7.123456789012345
    store.append_partial(path, header, "song", [("drums", "SDR", value), ("bass", "SDR", float("nan"))], {})
    rows = store.read_partial(path, header)["song"]["rows"]
    assert rows == [["drums", "SDR", value], ["bass", "SDR", None]]  # not rounded to 7.1235


# --- 14. memory at other rates -------------------------------------------------------------------

def test_resampled_stems_are_not_all_held_at_both_rates(recwarn):
    """A method at 44.1 kHz on a 48 kHz song: at most one stem is held at both rates (a 10-minute
    song at 48 or 96 kHz went over 2 GiB with all four)."""
    import tracemalloc

    mixture = np.random.default_rng(0).standard_normal((2, 48000 * 10)).astype(np.float32)
    audio.resample(mixture[:, :4800], 48000, 44100)  # librosa and soxr loaded before measuring

    def method(x, rate):
        return {s: x * 0.25 for s in ("drums", "bass", "other", "vocals")}

    tracemalloc.start()
    stems = audio.at_rate(method, mixture, 48000, 44100, "m")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert all(x.shape == mixture.shape for x in stems.values())
    # the four stems returned, the rest of the stems at 44.1 kHz, one being resampled: about 6
    # mixtures (all eight at once were 8.7)
    assert peak < 6.5 * mixture.nbytes, peak / mixture.nbytes


def test_resampling_channel_by_channel_gives_the_same_samples():
    import librosa

    x = np.random.default_rng(1).standard_normal((2, 48001)).astype(np.float32)
    for a, b in ((48000, 44100), (44100, 96000)):
        whole = librosa.resample(x, orig_sr=a, target_sr=b, res_type="soxr_hq", axis=-1)
        assert np.array_equal(audio.resample(x, a, b), whole)
        assert np.array_equal(audio.resample(x, a, b, length=whole.shape[-1] + 3)[:, :whole.shape[-1]], whole)


@pytest.mark.parametrize("name", ["My Songs", "Ünïcode Lieder", "_private"])
def test_scores_of_a_data_set_named_after_any_folder_are_stored(name, tmp_path):
    import pandas as pd

    from seplib import metrics

    rows = pd.DataFrame([{"track": t, "stem": s, "metric": "SDR", "value": 1.5}
                         for t in ("a", "b") for s in ("drums", "bass", "other", "vocals")])
    path = metrics.save_scores("oracle-irm", name, rows, results_dir=tmp_path)
    assert path.parent.name == name
    assert metrics.leaderboard(name, results_dir=tmp_path).loc["oracle-irm", "drums"] == 1.5
    for bad in ("../x", ".hidden", "a/b", " x"):
        with pytest.raises(ValueError, match="plain name"):
            metrics.save_scores("oracle-irm", bad, rows, results_dir=tmp_path)


# --- 13. the results store's key: the backend, and what a method's result depends on -------------------

@pytest.fixture
def one_song(tmp_path, tiny):
    from seplib.data import open_dataset, synth

    return open_dataset("test", root=synth.write_dataset(tmp_path / "set", size=tiny, progress=False))


def fake_scores(monkeypatch):
    """Scoring without BSSEval: the museval backend gives 9 dB, the fast one 1 dB (what is
    stored is then plain to see)."""
    import pandas as pd

    from seplib.metrics import evaluation

    def track_scores(refs, estimates, rate, backend="fast"):
        value = 9.0 if backend == "museval" else 1.0
        return pd.DataFrame([(s, m, 0, value) for s in estimates for m in ("SDR", "SIR", "SAR", "ISR")],
                            columns=["stem", "metric", "frame", "value"])

    monkeypatch.setattr(evaluation, "track_scores", track_scores)


def test_museval_scores_are_kept_beside_the_fast_ones_not_over_them(one_song, tmp_path, monkeypatch):
    from seplib import metrics

    fake_scores(monkeypatch)
    results = tmp_path / "results"
    metrics.evaluate("mixture", one_song, dataset="t", results_dir=results, progress=False)
    fast_file = metrics.scores_path("mixture", "t", results, tracks=one_song)
    fast_bytes = fast_file.read_bytes()
    metrics.evaluate("mixture", one_song, backend="museval", dataset="t", results_dir=results, progress=False)
    assert fast_file.read_bytes() == fast_bytes                       # the fast scores are untouched
    assert len(list(fast_file.parent.glob("*.json"))) == 2
    board = metrics.leaderboard("t", results_dir=results)
    assert board.loc["mixture", "drums"] == 1.0                       # a plain name: the fast backend
    assert board.loc["mixture [t, museval]", "drums"] == 9.0          # the other one says which
    assert metrics.why_rescore("mixture", one_song, "t", results) == ""
    assert metrics.why_rescore("mixture", one_song, "t", results, backend="museval") == ""


def test_a_fast_scores_file_without_a_backend_is_still_reused(one_song, tmp_path, monkeypatch):
    from seplib import metrics

    fake_scores(monkeypatch)
    results = tmp_path / "results"
    metrics.evaluate("mixture", one_song, dataset="t", results_dir=results, progress=False)
    path = metrics.scores_path("mixture", "t", results, tracks=one_song)
    record = json.loads(path.read_text())
    record.pop("backend", None)                                       # as written before the backend was kept
    path.write_text(json.dumps(record))
    assert metrics.why_rescore("mixture", one_song, "t", results) == ""
    assert metrics.why_rescore("mixture", one_song, "t", results, backend="museval") == "not scored yet"
    assert list(metrics.leaderboard("t", results_dir=results).index) == ["mixture"]


def scale_by_run(monkeypatch):
    """A method whose result depends on the run (as nmf-supervised's dictionaries are learned
    from the run's training songs) and on an argument."""
    from seplib import methods

    def scaled(mixture, rate, gain=1.0, templates=None, run=None):
        factor = gain * (0.5 if run is not None and run.size == "tiny" else 1.0)
        return {s: mixture * factor for s in ("drums", "bass", "other", "vocals")}

    monkeypatch.setattr(methods, "_REGISTRY", dict(methods._REGISTRY))
    methods.register("scaled", scaled, family="classical", takes_run=True)


def test_scores_of_one_song_at_two_run_sizes_are_kept_apart(one_song, tmp_path, monkeypatch):
    from seplib import metrics
    from seplib.run import current

    scale_by_run(monkeypatch)
    results = tmp_path / "results"
    quick, tiny = current(size="quick"), current(size="tiny")
    a = metrics.evaluate("scaled", one_song, dataset="example", results_dir=results, progress=False, run=quick)
    assert metrics.why_rescore("scaled", one_song, "example", results, run=tiny) == "not scored yet"
    b = metrics.evaluate("scaled", one_song, dataset="example", results_dir=results, progress=False, run=tiny)
    assert not np.allclose(a.value, b.value)
    assert metrics.why_rescore("scaled", one_song, "example", results, run=quick) == ""  # kept, not replaced
    monkeypatch.setenv("SEPLIB_SIZE", "quick")                        # the leaderboard reads the current run's
    board = metrics.leaderboard("example", results_dir=results)
    assert np.isclose(board.loc["scaled", "drums"], a[(a.stem == "drums") & (a.metric == "SDR")].value.median())
    assert len(board) == 2


def test_scores_with_other_arguments_are_kept_apart(one_song, tmp_path, monkeypatch):
    from seplib import metrics

    scale_by_run(monkeypatch)
    results = tmp_path / "results"
    metrics.evaluate("scaled", one_song, dataset="t", results_dir=results, progress=False, gain=0.5)
    assert metrics.why_rescore("scaled", one_song, "t", results, kwargs={"gain": 0.25}) == "not scored yet"
    assert metrics.why_rescore("scaled", one_song, "t", results, kwargs={"gain": 0.5}) == ""
    # arrays (NMF dictionaries) count by their content
    first = {"w": np.ones((3, 2), np.float32)}
    metrics.evaluate("scaled", one_song, dataset="t", results_dir=results, progress=False, templates=first)
    same, other = {"w": np.ones((3, 2), np.float32)}, {"w": np.zeros((3, 2), np.float32)}
    assert metrics.why_rescore("scaled", one_song, "t", results, kwargs={"templates": same}) == ""
    assert metrics.why_rescore("scaled", one_song, "t", results, kwargs={"templates": other}) == "not scored yet"


def test_a_resumed_evaluation_summarises_exactly_as_an_unbroken_one(tmp_path, tiny, monkeypatch):
    from seplib import metrics, separation, sizes
    from seplib.data import open_dataset, synth
    from seplib.metrics import store

    monkeypatch.setitem(sizes.TABLE, "tiny", {"data": dict(train=1, valid=1, test=3, seconds=1.0)})
    tracks = open_dataset("test", root=synth.write_dataset(tmp_path / "set", size=tiny, progress=False))
    results = tmp_path / "results"
    whole = metrics.evaluate("oracle-irm", tracks, dataset="whole", results_dir=results, progress=False)
    real, seen = separation.separate, []

    def stop_at_third(*a, **k):
        seen.append(1)
        if len(seen) == 3:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(separation, "separate", stop_at_third)
    with pytest.raises(KeyboardInterrupt):
        metrics.evaluate("oracle-irm", tracks, dataset="cut", results_dir=results, progress=False)
    monkeypatch.setattr(separation, "separate", real)
    resumed = metrics.evaluate("oracle-irm", tracks, dataset="cut", results_dir=results, progress=False)
    assert np.array_equal(resumed.value, whole.value, equal_nan=True)   # not rounded to 4 decimals
    assert metrics.summary(resumed, "m") == metrics.summary(whole, "m")
    stored = [json.loads(store.scores_path("oracle-irm", d, results, tracks=tracks).read_text())
              for d in ("whole", "cut")]
    assert stored[0]["summary"] == stored[1]["summary"] and stored[0]["scores"] == stored[1]["scores"]


def test_resampling_holds_no_song_sized_copy_beside_its_result():
    """librosa.resample held three copies of each channel at the new rate (soxr's result, numpy's
    apply_along_axis buffer, the length fix): a 10-minute song at 96 kHz went over 2 GiB."""
    import tracemalloc

    x = np.random.default_rng(2).standard_normal((2, 44100 * 20)).astype(np.float32)
    audio.resample(x[:, :4410], 44100, 96000)  # soxr loaded before measuring
    tracemalloc.start()
    y = audio.resample(x, 44100, 96000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1.1 * y.nbytes, peak / y.nbytes


@pytest.mark.parametrize("rate", [22050, 44100, 96000])
def test_hpss_blocks_hold_no_more_samples_above_44k(rate, monkeypatch):
    """HPSS's working memory is its block's: at 96 kHz a 30 s block held twice the samples (a
    10-minute song went over 2 GiB)."""
    from seplib.classical import hpss

    seen = {}

    def blocks(fn, mixture, rate, block_seconds, overlap_seconds, **kwargs):
        seen["samples"] = block_seconds * rate
        return {}

    monkeypatch.setattr(hpss, "separate_in_blocks", blocks)
    hpss.separate_hpss(np.zeros((2, 10), np.float32), rate)
    assert seen["samples"] == pytest.approx(hpss.BLOCK_SECONDS * min(rate, 44100))
