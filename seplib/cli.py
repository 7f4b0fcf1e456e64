"""The ``seplib`` command line: ``data``, ``separate``, ``evaluate``, ``train``, ``methods``.

Examples::

    seplib data --size quick
    seplib data decode --root MUSDB18 --out MUSDB18-wav
    seplib separate song.wav --method hpss --out separated/
    seplib evaluate --method oracle-irm --json scores.json
    seplib train unet --size lab --out runs/unet --resume
    seplib methods

Taught in: 00_getting_started
"""
from __future__ import annotations

import argparse
import errno
import json
import os
import sys
import tempfile
import traceback
from pathlib import Path

from .outputs import USER_ERRNOS, StemFolder  # (the standard library and the method records only)

# (seplib's other modules are imported inside the functions: a Ctrl-C while they load is main()'s)


def _cmd_data(args):
    if args.data_command == "decode":
        return _cmd_decode(args)
    from .data.synth import VERIFIED, write_dataset
    from .data.musdb import default_root

    from . import config

    size = config.size_of(args.size)
    if args.set == "render":
        from .data.render import write_dataset
    default = config.data_dir() / f"render-{size}" if args.set == "render" else default_root(size)
    root = Path(args.root).expanduser() if args.root else default
    if root.is_dir() and (root / "seplib.json").is_file():
        (root / VERIFIED).unlink(missing_ok=True)  # asked for: read every file's content again
    if args.soundfont and args.set != "render":
        raise ValueError("--soundfont is for --set render (the synth set plays no SoundFont)")
    extra = {"soundfont": Path(args.soundfont).expanduser()} if args.soundfont else {}  # checked before any song
    root = write_dataset(root, size=size, seed=args.seed, workers=args.workers, **extra)
    print(root)


def _cmd_decode(args):
    from .data.decode import decode_tree

    if args.workers_decode is not None and args.workers_decode < 1:
        raise ValueError(f"--workers must be 1 or more, got {args.workers_decode}")
    print(decode_tree(args.decode_root, args.decode_out, workers=args.workers_decode))


def _checked_method(command, args):
    """The method's record; refuse in one line what it cannot do (true stems, a checkpoint)."""
    from . import methods

    record = methods.get(args.method)  # an unknown name: ValueError, printed by main()
    if command == "separate" and record.needs_references:
        sys.exit(f"seplib separate: {args.method} needs the true stems; use `seplib evaluate` for oracles")
    if args.checkpoint and not record.takes_checkpoint:
        takes = ", ".join(methods.names("learned")) or "the learned methods"
        sys.exit(f"seplib {command}: {args.method} takes no checkpoint (a {record.family} method); "
                 f"--checkpoint is for {takes}")
    return record


def _check_checkpoint(args):
    """Read ``--checkpoint`` before the work: a missing, truncated or foreign file, or one of
    another model, is refused in one line naming it."""
    if not args.checkpoint:
        return
    from . import models

    if args.method in models.MODELS:
        models.load(args.checkpoint, device="cpu", name=args.method)
    else:
        models.checkpoint.read(args.checkpoint)


def _cmd_separate(args):
    record = _checked_method("separate", args)
    song = Path(args.song).expanduser()
    if not song.is_file():
        raise FileNotFoundError(f"song not found: {args.song}" if not song.exists()
                                else f"{args.song} is a folder, not an audio file" if song.is_dir()
                                else f"{args.song} is not a regular file (a device or a pipe?): give an audio file")
    _check_checkpoint(args)
    song_folder = Path(args.song).expanduser().resolve().parent
    if args.force and str(args.out).strip() and song_folder == Path(args.out).expanduser().resolve():
        raise ValueError(f"--out {args.out} is the folder of the song {args.song}: --force would replace it "
                         "with the stems; give the stems a folder of their own")
    folder = StemFolder(args.out, record.stems, args.force)  # refuses here, before separating
    try:
        channels, subtype = _song_format(args.song)
        segments = _stream_segments(song, record)
        if segments is not None:  # a long song: in segments, from file to files
            paths = _separate_streaming(args, folder, song, channels, subtype, *segments)
        else:
            paths = _separate_whole(args, folder, song, channels, subtype)
    except BaseException:
        folder.discard()
        raise
    for path in paths:
        print(path)


def _separate_once(args, mixture, rate, run, channels):
    """The method's stems for one song or segment (3, 6, 12 channels: each pair of channels as a
    stereo song), refused if any holds NaN or inf."""
    from .separation import separate

    kwargs = {"checkpoint": args.checkpoint} if args.checkpoint else {}
    if channels > 2:
        estimates = _separate_pairs(args, separate, mixture, rate, run, kwargs)
    else:
        estimates = separate(args.method, mixture, rate, run=run, **kwargs)
    _check_finite(args, estimates)
    return estimates


def _separate_whole(args, folder, song, channels, subtype):
    """Separate a song read whole, then write its stems."""
    from .audio import load
    from .run import current

    mixture, rate = load(song, stereo=channels <= 2)
    estimates = _separate_once(args, mixture, rate, current(size=args.size), channels)
    del mixture
    with _StemFiles(folder, rate, channels, subtype) as files:
        for stem in list(estimates):
            files.write(stem, estimates.pop(stem))  # each stem let go once written
    return folder.commit(files.stems)


def _stream_segments(song, record):
    """``(segment, overlap, frames, rate)`` in samples (and Hz) when ``song`` is too long to hold whole
    (:data:`seplib.blocks.STREAM_VALUES`; for a network, which works in chunks anyway, one
    segment) and its file can be read from any sample (not MP3 or Ogg, whose sample counts are
    estimates); ``None``: separate it whole."""
    import soundfile as sf

    from .blocks import SEGMENT_VALUES, STREAM_OVERLAP_SECONDS, STREAM_VALUES
    from .stems import RATE

    try:
        with sf.SoundFile(str(song)) as f:  # the header, read once
            frames, rate, channels, kind, seekable = f.frames, f.samplerate, f.channels, f.format, f.seekable()
    except (RuntimeError, OSError):  # not read by soundfile: the whole-song path says what is wrong
        return None
    held = max(channels, 2)  # a mono song is separated as dual mono
    whole, cost = STREAM_VALUES, held  # values held per sample of the song
    if record.family in ("learned", "reference"):  # chunked anyway, and at 44.1 kHz: a song at a
        whole = SEGMENT_VALUES                     # lower rate costs a network as much as at 44.1
        cost = held * max(1.0, RATE / rate)
    if kind in ("MPEG", "OGG") or not seekable or frames * cost <= whole:
        return None
    segment = int(SEGMENT_VALUES // cost)
    return segment, min(int(STREAM_OVERLAP_SECONDS * rate), segment // 4), frames, rate


def _separate_streaming(args, folder, song, channels, subtype, segment, overlap, frames, rate):
    """Separate a long song in segments (:func:`seplib.blocks.separate_streaming`): read from its
    file a segment at a time, each stem written to its file as it is finished."""
    import soundfile as sf

    from .audio import as_stereo, check_complete
    from .blocks import separate_streaming
    from .run import current

    check_complete(song)
    run = current(size=args.size)
    print(f"{song} is {frames / rate / 60:.1f} minutes at {rate / 1000:g} kHz with {channels} "
          f"channel(s): separating it in segments of {segment / rate / 60:.1f} minutes, cross-faded over "
          f"{overlap / rate:g} s, to bound memory", file=sys.stderr)
    with sf.SoundFile(str(song)) as source, _StemFiles(folder, rate, channels, subtype) as files:
        def read(start, stop):
            source.seek(start)
            x = source.read(stop - start, dtype="float32", always_2d=True).T
            if x.shape[1] != stop - start:
                raise ValueError(f"{song}: truncated or damaged: only {start + x.shape[1]} of its "
                                 f"{frames} samples could be read")
            return as_stereo(x, name=str(song)) if channels <= 2 else x

        separate_streaming(lambda piece: _separate_once(args, piece, rate, run, channels), read, frames,
                           segment, overlap, files.write, progress=True)
    return folder.commit(files.stems)


class _StemFiles:
    """The stems' WAV files in the temporary folder of a :class:`StemFolder`, written a piece at a
    time and in blocks (no copy of a whole stem); mono stems for a mono song (read as dual mono),
    and one warning on closing if any stem clips."""

    BLOCK = 1 << 16

    def __init__(self, folder, rate, channels, subtype):
        self.folder, self.rate, self.channels, self.subtype = folder, rate, channels, subtype
        self.files, self.peak = {}, 0.0

    @property
    def stems(self):
        return list(self.files)

    def write(self, stem, x):
        import numpy as np
        import soundfile as sf

        from .audio import write_error

        x = np.asarray(x, dtype=np.float32)
        if self.channels == 1 and x.ndim == 2 and x.shape[0] == 2:
            x = x.mean(axis=0, keepdims=True)  # a mono song (read as dual mono): mono stems
        self.peak = max(self.peak, float(np.max(np.abs(x))) if x.size else 0.0)
        try:
            if stem not in self.files:
                self.files[stem] = sf.SoundFile(str(self.folder.path(stem)), "w", self.rate, x.shape[0],
                                                self.subtype or "PCM_16", format="WAV")
            for start in range(0, x.shape[1], self.BLOCK):
                self.files[stem].write(x[:, start:start + self.BLOCK].T)
        except (OSError, RuntimeError) as err:  # name the file the user asked for, not the temporary one
            raise write_error(err, self.folder.out / f"{stem}.wav", x.nbytes) from err

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        import warnings

        for f in self.files.values():
            f.close()
        if exc[0] is None and self.peak > 1.0:
            warnings.warn(f"{self.folder.out}: peak {self.peak:.2f} > 1, the stems will clip", stacklevel=2)
        return False


def _separate_pairs(args, separate, mixture, rate, run, kwargs):
    """Separate a song of more than two channels pair by pair (channels 1-2, 3-4, ...; a last odd
    channel as dual mono, its stems back to mono); the stems have the song's channels."""
    import warnings

    import numpy as np

    n = mixture.shape[0]
    parts = [mixture[i:i + 2] for i in range(0, n, 2)]
    named = ", ".join(f"{i + 1}-{i + 2}" if i + 1 < n else f"{i + 1}" for i in range(0, n, 2))
    warnings.warn(f"{args.song} has {n} channels: separating them as stereo pairs ({named}); "
                  f"each stem has the {n} channels", stacklevel=2)
    stems = {}
    for part in parts:
        pair = part if part.shape[0] == 2 else np.repeat(part, 2, axis=0)
        for stem, x in separate(args.method, pair, rate, run=run, **kwargs).items():
            stems.setdefault(stem, []).append(np.asarray(x)[: part.shape[0]] if part.shape[0] == 2
                                              else np.asarray(x).mean(axis=0, keepdims=True))
    return {stem: np.concatenate(xs, axis=0) for stem, xs in stems.items()}


def _song_format(path):
    """``(channels, subtype)`` for the stems of a song: as many channels as the song (a mono song
    gives mono stems), and 32-bit float WAVs for a float song (16 bits would round a quiet one
    to silence); ``subtype`` ``None``: the 16-bit default."""
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except (RuntimeError, OSError):  # read by another decoder: stereo, 16-bit
        return 2, None
    return info.channels, ("FLOAT" if info.subtype in ("FLOAT", "DOUBLE") else None)


def _check_finite(args, estimates):
    """Refuse estimates holding NaN or inf (a diverged or damaged model): written as 16-bit WAVs
    they would be full-scale noise or DC, with nothing to say so."""
    import numpy as np

    bad = [stem for stem, x in estimates.items() if not np.all(np.isfinite(np.asarray(x)))]
    if bad:
        source = f"the checkpoint {args.checkpoint}" if args.checkpoint else f"the method {args.method}"
        raise FloatingPointError(f"{args.method} estimated {', '.join(bad)} with NaN or inf samples: "
                                 f"{source} gives no usable stems (a diverged or damaged model?); "
                                 "nothing was written")


def _check_json(args):
    """Refuse a ``--json`` that cannot be written, before scoring."""
    if args.json is None:
        return None
    if not args.json.strip():
        raise ValueError("--json is empty: give the file the summary goes in")
    path = Path(args.json).expanduser()
    if path.is_dir():
        raise IsADirectoryError(f"--json {path} is a folder: give a file name, e.g. {path / 'scores.json'}")
    if path.exists() and not args.force:
        raise FileExistsError(f"not overwriting {path} (use --force)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    except OSError as err:
        what = USER_ERRNOS.get(err.errno, err.strerror or str(err))
        if isinstance(err, (FileExistsError, NotADirectoryError)):
            what = "a file stands where a folder should be"
        raise ValueError(f"--json {path}: cannot write in {path.parent} ({what})") from None
    probe.close()  # the summary is written here, then renamed over the target
    return path, Path(probe.name)


def _cmd_evaluate(args):
    from .data import open_dataset
    from .metrics import evaluate, summary
    from .run import current

    _checked_method("evaluate", args)
    _check_checkpoint(args)
    target = _check_json(args)
    try:
        run = current(size=args.size, root=args.root)  # the quick songs go with the quick model
        tracks = open_dataset("test", root=args.root, size=run.size)
        kwargs = {"checkpoint": args.checkpoint} if args.checkpoint else {}
        per_track = evaluate(args.method, tracks, backend=args.backend, run=run, **kwargs)
        result = summary(per_track, args.method, "test")
        print(f"{args.method} on {result['tracks']} test tracks (median over frames, then tracks; dB)")
        metrics = ("SDR", "SIR", "SAR", "ISR")
        print(f"{'stem':<14}" + "".join(f"{m:>8}" for m in metrics))
        for stem, scores in result["stems"].items():
            values = (scores.get(m) for m in metrics)  # None: no score (a silent stem)
            print(f"{stem:<14}" + "".join(f"{v:8.2f}" if v is not None else f"{'-':>8}" for v in values))
        if target:
            path, tmp = target
            try:
                tmp.write_text(json.dumps(result, indent=2))
                os.replace(tmp, path)
            except OSError as err:  # name the file asked for, not the temporary one
                raise OSError(err.errno, err.strerror, str(path)) from err
            print(f"wrote {path}")
    finally:
        if target and target[1].exists():
            target[1].unlink()


def _cmd_train(args):
    from .run import current
    from .train import check_steps, train_model

    check_steps(args.steps)  # before the data and the model
    model, history = train_model(args.model, size=args.size, steps=args.steps, out=args.out,
                                 resume=args.resume, seed=args.seed, root=args.root, load=args.load)
    where = args.out or current(size=args.size, root=args.root).models_dir / args.model
    print(f"trained {args.model}; checkpoints in {where}")


def _cmd_methods(args):
    from . import methods

    print(f"{'name':<16}{'family':<11}{'stems':<36}notebook")
    for m in methods.records():
        print(f"{m.name:<16}{m.family:<11}{', '.join(m.stems):<36}{m.taught_in or '-'}")


def main(argv=None):
    """Entry point of the ``seplib`` command.  A Ctrl-C at any moment (while the methods load, the
    parser is built, or the work runs) ends it with one line and status 130, no traceback. Run as
    the command (no ``argv``), the process keeps the memory it frees
    (:func:`seplib.config.keep_freed_memory`): faster, and the memory goes when it ends."""
    try:
        if argv is None:  # the command itself (not main() called from Python): a process that ends
            from .config import keep_freed_memory

            keep_freed_memory()
        return _main(argv)
    except KeyboardInterrupt:
        print("seplib: interrupted (Ctrl-C)", file=sys.stderr)
        sys.exit(130)


def _main(argv):
    with _interrupt_after():  # torch loads here: a Ctrl-C inside its C++ start-up would abort Python
        from . import config, methods

    from . import plugins

    names, argv = plugins.split_argv(sys.argv[1:] if argv is None else list(argv))
    try:
        plugins.load(names)  # your own methods and models, before the choices are listed
    except ValueError as err:
        sys.exit(f"seplib: {err}")
    parser = _Parser(prog="seplib", description="Music source separation workbook tools")
    parser.add_argument("--plugin", action="append", metavar="MODULE",
                        help="import MODULE first: the methods and models it registers can be used "
                             "(also $SEPLIB_PLUGINS, comma-separated)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("data", help="write the synthetic default data set (reused if present)")
    p.add_argument("--size", choices=config.SIZES, help="run size (default: by device)")
    p.add_argument("--set", choices=("synth", "render"), default="synth",
                   help="synth: songs played by small synthesizers (the default); render: the same kind of "
                        "songs played by a General MIDI SoundFont, then mixed and mastered")
    p.add_argument("--root", help="folder to write (default: data/synth-SIZE or data/render-SIZE)")
    p.add_argument("--seed", type=_seed, default=0)
    p.add_argument("--workers", type=int, default=1, help="processes writing songs side by side")
    p.add_argument("--soundfont", metavar="FILE",
                   help="with --set render: a General MIDI .sf2/.sf3 to play the songs (default: TimGM6mb, "
                        "which ships with pretty_midi); the manifest records which")
    p.set_defaults(fn=_cmd_data, data_command=None)
    decode = p.add_subparsers(dest="data_command", metavar="{decode}").add_parser(
        "decode", help="decode a MUSDB18 .stem.mp4 tree once into WAV files (the MUSDB18-HQ layout)")
    decode.add_argument("--root", dest="decode_root", required=True, metavar="DIR",
                        help="the MUSDB18 folder (train/, test/)")
    decode.add_argument("--out", dest="decode_out", required=True, metavar="DIR",
                        help="a new folder outside the source (an interrupted decode resumes there)")
    decode.add_argument("--workers", dest="workers_decode", type=int, metavar="N",
                        help="songs decoded side by side (default: up to 4)")

    p = sub.add_parser("separate", help="separate a song into stems (one WAV per stem)")
    p.add_argument("song", help="audio file to separate")
    p.add_argument("--method", required=True)
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--checkpoint", help="model checkpoint (learned methods)")
    p.add_argument("--size", choices=config.SIZES, help="run size (which trained model; default: by device)")
    p.add_argument("--force", action="store_true", help="overwrite existing stem files")
    p.set_defaults(fn=_cmd_separate)

    p = sub.add_parser("evaluate", help="score a method on the test split (MUSDB protocol)")
    p.add_argument("--method", required=True)
    p.add_argument("--root", help="a MUSDB18-HQ tree (default: $MUSDB_PATH or the synthetic set)")
    p.add_argument("--size", choices=config.SIZES,
                   help="run size: the synthetic set and the trained models of that size")
    p.add_argument("--backend", choices=("fast", "museval"), default="fast",
                   help="fast: seplib's torch BSSEval v4; museval: the reference implementation")
    p.add_argument("--checkpoint", help="model checkpoint (learned methods)")
    p.add_argument("--json", help="write the summary here")
    p.add_argument("--force", action="store_true", help="overwrite an existing --json file")
    p.set_defaults(fn=_cmd_evaluate)

    p = sub.add_parser("train", help="train a model on the train split")
    p.add_argument("model", choices=methods.names("learned"))
    p.add_argument("--size", choices=config.SIZES)
    p.add_argument("--steps", type=int)
    p.add_argument("--out", help="checkpoint folder (default: the run's, data/models/DATASET/MODEL, "
                                 "where separate and evaluate look)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    p.add_argument("--root", help="data set root (default: the synthetic set)")
    p.add_argument("--seed", type=_seed, default=0)
    p.add_argument("--load", choices=("auto", "memory", "disk"), default="auto",
                   help="read the songs into memory, or each chunk from the WAV files (auto: memory "
                        "for sets under 1 GiB of stems); the chunks are the same")
    p.set_defaults(fn=_cmd_train)

    p = sub.add_parser("methods", help="list the separation methods: name, family, stems, notebook")
    p.set_defaults(fn=_cmd_methods)

    args = parser.parse_args(argv)
    import warnings

    python_format = warnings.formatwarning
    _warnings_as_lines(args.command)
    try:
        args.fn(args)
    except BaseException as err:  # noqa: B036 - every way out is one line, with a status to test
        if isinstance(err, SystemExit):
            raise
        if os.environ.get("SEPLIB_DEBUG", "") not in ("", "0"):
            traceback.print_exc()
        code, said = _explain(err)
        if code == 1:  # SystemExit with a message: printed to stderr, status 1
            sys.exit(f"seplib {args.command}: {said}")
        print(f"seplib {args.command}: {said}", file=sys.stderr)
        sys.exit(code)
    finally:
        warnings.formatwarning = python_format  # main() called from Python leaves it as it was


class _interrupt_after:
    """Hold a Ctrl-C back until the block ends, then raise it (in the main thread; elsewhere the
    block runs as it is)."""

    def __enter__(self):
        import signal

        self.pressed, self.previous = [], None
        try:
            self.previous = signal.signal(signal.SIGINT, lambda *_: self.pressed.append(1))
        except ValueError:  # not the main thread
            pass
        return self

    def __exit__(self, *exc):
        import signal

        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        if self.pressed and exc[0] is None:
            raise KeyboardInterrupt
        return False


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error in one line (what is wrong, and where the help is)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _seed(text):
    """``--seed``: a whole number, 0 or more (numpy's seeds)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _warnings_as_lines(command):
    """Print seplib's warnings (a resampled input, a damaged song rewritten) as one plain line each,
    ``seplib <command>: warning: ...``, instead of Python's ``file:line: UserWarning: ...``."""
    import warnings

    # the format, not the printer: a caller recording warnings (pytest.warns) still gets them
    warnings.formatwarning = lambda message, *args, **kwargs: f"seplib {command}: warning: {message}\n"


def _explain(err):
    """``(exit status, one line)`` for an exception that ends a command.

    1: a user error (a file, a value, the disk); 130: Ctrl-C; 3: an unexpected error, a bug to
    report (``SEPLIB_DEBUG=1`` prints its traceback).
    """
    if isinstance(err, KeyboardInterrupt):
        said = str(err) if str(err) else "interrupted (Ctrl-C); nothing half-written was left"
        return 130, said
    if isinstance(err, OSError) and err.errno is not None and err.strerror:
        what = USER_ERRNOS.get(err.errno, err.strerror)
        if err.errno in (errno.ENOSPC, errno.EDQUOT):  # "the disk is full: NAME"
            return 1, f"{what}: {err.filename}" if err.filename else what
        return 1, f"{err.filename}: {what}" if err.filename else what
    if isinstance(err, (OSError, ValueError, NotImplementedError, ConnectionError, FloatingPointError,
                        RuntimeError, TypeError, KeyError)) and not _is_bug(err):
        return 1, _one_line(err)
    return 3, (f"unexpected {type(err).__name__}: {_one_line(err)} "
               "(a bug: SEPLIB_DEBUG=1 shows the traceback to report)")


def _is_bug(err):
    return isinstance(err, (TypeError, KeyError)) or type(err) is RuntimeError and not str(err)


def _one_line(err):
    return " ".join(str(err).split()) or type(err).__name__


if __name__ == "__main__":
    main()
