"""The U-Net beside a peer: Open-Unmix trained the same way, for the same CPU time.

Trains seplib's U-Net and Open-Unmix's own network (the ``OpenUnmix`` class of the
``openunmix`` package, Stöter et al. 2019, from random weights: no pretrained weights are
loaded) with seplib's training loop, :func:`seplib.train.fit`, on the same data:
:class:`seplib.data.chunks.RandomChunks` of the train split and
:class:`seplib.data.chunks.FixedChunks` of the valid split, built as
:func:`seplib.train.train_model` builds them for the U-Net (same songs, augmentation, chunk
length, batch size, learning rate, loss, validations). Both are then scored with the MUSDB
protocol (:func:`seplib.metrics.evaluate`: median over 1 s frames per track, then over
tracks) on the test split and on the real song (:func:`seplib.data.real_song`).

**The budget is CPU time, not steps.** The U-Net trains its plan's steps; the process CPU
seconds that took (``time.process_time``, around ``fit``) are Open-Unmix's budget. Open-Unmix's
own preparation (its input statistics, below) is counted in its budget. Its number of steps
is then set from a short calibration (a few steps and one validation, timed on a throwaway
copy, not counted), so that its cosine schedule ends when the budget does; if the budget is
spent earlier all the same, its loss stops the run at the next step (``stopped_by_budget``).

**Open-Unmix as published, scaled.** One ``OpenUnmix`` per stem (four networks, as its
authors train one per target). Each sees the mixture's stereo magnitude below 16 kHz
(``max_bin`` from ``openunmix.utils.bandwidth_to_max_bin``, as published), standardised by
the training set's per-bin mean and standard deviation (computed as its training script
does: over every frame of every training song's mono magnitude, the deviation floored at
1e-4 of its largest), and outputs a non-negative mask times that magnitude. What was scaled
(:data:`OPENUNMIX`):

* ``hidden_size`` 512 -> 256 at ``quick`` and ``lab`` (the size of the authors' smaller
  published model, ``umxse``), to fit a laptop's CPU budget; 512 (the published default) at
  ``full``. Three BiLSTM layers, LSTM dropout 0.4 and the 16 kHz bandwidth are kept.
* the STFT is the U-Net's at the run size (seplib's STFT, Hann window, centred frames):
  4096 / 1024 at ``lab`` and ``full`` (Open-Unmix's default), 1024 / 512 at ``quick`` (the
  STFT of ``umxse``).

The wrapper (:class:`OpenUnmixStems`) is a seplib masking model: the mask of a stem is its
network's magnitude estimate over the mixture's magnitude, applied to the mixture's STFT
(masking by magnitude with the mixture's phase, what Open-Unmix's ``Separator`` does without
its Wiener post-filter, ``niter=0``), so seplib's loss, ``fit`` and separation apply
unchanged. Both models train on the U-Net's loss, :func:`seplib.losses.loss_for` ``("unet")``
with its plan's knobs (the SDR of the masked waveforms by default), not Open-Unmix's MSE on
magnitudes, and with seplib's AdamW and cosine schedule, not its ReduceLROnPlateau.

**Installing the peer.** ``openunmix`` is not a dependency of seplib; install it for this
script only, without its dependencies, so that torch stays as it is::

    pip install --no-deps openunmix

``openunmix`` imports ``torchaudio`` at the top of two modules (``openunmix.utils``, which the
package's ``__init__`` imports, for ``torchaudio.transforms.Resample`` in its file-reading
helper ``preprocess``; and ``openunmix.transforms``, which names it only in a docstring).
torchaudio's releases pin a torch other than this project's, so it is not installed. When
``import torchaudio`` fails, :func:`import_openunmix` puts a stand-in module named
``torchaudio`` in ``sys.modules`` for the duration of ``import openunmix.model`` and removes
it afterwards (``openunmix`` keeps its reference; nothing else sees it). The stand-in has no
attributes: any use raises ``AttributeError`` naming it. ``OpenUnmix.__init__`` and
``OpenUnmix.forward`` use only torch (``Linear``, ``BatchNorm1d``, ``LSTM``, ``tanh``, ``relu``),
and this script calls nothing else of the package but ``bandwidth_to_max_bin`` (numpy), so the
stand-in is never used.

    OMP_NUM_THREADS=1 python benchmarks/peers.py --size lab --json peers-lab.json

Progress goes to stderr, the JSON to stdout (and to ``--json FILE``):
``{"size", "models": {"unet": {"sdr": {stem: dB}, "real_song": {"sdr": {stem: dB}},
"train_cpu_seconds", "steps", ...}, "open-unmix": {...}}, ...}``.
"""
from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import json
import math
import sys
import time
import types

import torch
from torch import nn

OPENUNMIX = {
    "quick": dict(hidden_size=256, nb_layers=3, bandwidth=16000.0),
    "lab": dict(hidden_size=256, nb_layers=3, bandwidth=16000.0),
    "full": dict(hidden_size=512, nb_layers=3, bandwidth=16000.0),
}
"""Open-Unmix's sizes per run size: ``hidden_size`` 512 (published) -> 256 (``umxse``'s) where
the budget is a laptop's; 3 BiLSTM layers and a 16 kHz band as published. The STFT is the
U-Net's at the run size."""

EPS = 1e-8
CALIBRATION_STEPS = 3
"""Timed optimizer steps (after one untimed) that set Open-Unmix's number of steps."""


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ the peer
def _torchaudio_stand_in():
    """A module named ``torchaudio`` with no attributes: any use says what it is."""
    module = types.ModuleType("torchaudio", "stand-in for torchaudio while openunmix is imported "
                              "(benchmarks/peers.py); torchaudio is not installed")
    module.__spec__ = importlib.machinery.ModuleSpec("torchaudio", None)

    def __getattr__(name):
        raise AttributeError(f"torchaudio.{name}: torchaudio is not installed; benchmarks/peers.py "
                             "stood in for it only so that openunmix's model could be imported")

    module.__getattr__ = __getattr__
    return module


def import_openunmix():
    """``(OpenUnmix, bandwidth_to_max_bin)`` from the ``openunmix`` package, with a stand-in
    for ``torchaudio`` during the import when torchaudio is not installed (see the module's
    docstring). Exits with one line when ``openunmix`` is not installed."""
    if importlib.util.find_spec("openunmix") is None:
        sys.exit("benchmarks/peers.py needs the openunmix package: pip install --no-deps openunmix")
    stand_in = importlib.util.find_spec("torchaudio") is None and "torchaudio" not in sys.modules
    if stand_in:
        sys.modules["torchaudio"] = _torchaudio_stand_in()
    try:
        from openunmix.model import OpenUnmix
        from openunmix.utils import bandwidth_to_max_bin
    finally:
        if stand_in:
            del sys.modules["torchaudio"]
    return OpenUnmix, bandwidth_to_max_bin


class OpenUnmixStems(nn.Module):
    """Open-Unmix as a seplib masking model: one ``OpenUnmix`` per stem on the mixture's
    magnitude; stem ``j``'s mask is its network's estimate over the mixture's magnitude.

    Has what :func:`seplib.losses.loss_for`'s masked-magnitude loss and
    :func:`seplib.models.separate_with_model` use: ``spectrogram``, ``masks``, ``waveforms``,
    ``forward``, ``stems``, ``audio_channels``, ``chunk_multiple``, ``name``, ``hparams``.

    Args:
        stems (tuple): stem names
        audio_channels (int): 2 for stereo
        n_fft (int), hop (int): seplib's STFT
        hidden_size (int), nb_layers (int), max_bin (int): ``OpenUnmix``'s
        input_mean, input_scale (np.ndarray): ``(n_fft // 2 + 1,)`` training statistics of the
            magnitude (``OpenUnmix`` stores ``-mean`` and ``1 / scale``), or ``None``
    """

    name = "open-unmix"

    def __init__(self, stems, audio_channels, n_fft, hop, hidden_size, nb_layers, max_bin,
                 input_mean=None, input_scale=None):
        super().__init__()
        OpenUnmix, _ = import_openunmix()
        self.stems, self.audio_channels = tuple(stems), audio_channels
        self.n_fft, self.hop = n_fft, hop
        self.chunk_multiple = hop
        self.hparams = dict(n_fft=n_fft, hop=hop, hidden_size=hidden_size, nb_layers=nb_layers,
                            max_bin=max_bin)
        self.targets = nn.ModuleList(
            OpenUnmix(nb_bins=n_fft // 2 + 1, nb_channels=audio_channels, hidden_size=hidden_size,
                      nb_layers=nb_layers, unidirectional=False, input_mean=input_mean,
                      input_scale=input_scale, max_bin=max_bin)
            for _ in self.stems)

    def spectrogram(self, mixture):
        """``(batch, channels, samples)`` -> complex ``(batch, channels, freqs, frames)``."""
        from seplib.spectral import stft

        return stft(mixture, self.n_fft, self.hop)

    def masks(self, mixture, X=None):
        """``(batch, stems, channels, freqs, frames)``: each network's magnitude over the mixture's."""
        X = self.spectrogram(mixture) if X is None else X
        magnitude = X.abs()                                            # (batch, channels, freqs, frames)
        estimates = torch.stack([net(magnitude) for net in self.targets], dim=1)
        return estimates / (magnitude[:, None] + EPS)

    def waveforms(self, X, masks, mixture):
        """Masks times the mixture's STFT (its phase kept), back to ``(batch, stems, channels, samples)``:
        seplib's front end for every masking model (:func:`seplib.masking.stem_masks_to_waveforms`)."""
        from seplib.masking import stem_masks_to_waveforms

        return stem_masks_to_waveforms(X, masks, mixture.shape[-1], n_fft=self.n_fft, hop=self.hop)

    def forward(self, mixture):
        X = self.spectrogram(mixture)
        return self.waveforms(X, self.masks(mixture, X), mixture)


def input_statistics(tracks, n_fft, hop):
    """Open-Unmix's input statistics, as its training script computes them: the mean and
    standard deviation, per frequency bin, of the mono magnitude over every frame of the
    training songs (the deviation floored at 1e-4 of its largest).

    Returns:
        (mean, std): ``(n_fft // 2 + 1,)`` float64 arrays
    """
    import numpy as np

    from seplib.data import track_mixture
    from seplib.spectral import stft

    total = total_sq = 0.0
    frames = 0
    for track in tracks:
        magnitude = stft(track_mixture(track), n_fft, hop).abs().mean(0).double()   # (freqs, frames)
        total = total + magnitude.sum(-1)
        total_sq = total_sq + (magnitude ** 2).sum(-1)
        frames += magnitude.shape[-1]
    mean = (total / frames).numpy()
    std = np.sqrt(np.maximum((total_sq / frames).numpy() - mean ** 2, 0.0))
    return mean, np.maximum(std, 1e-4 * std.max())


# ------------------------------------------------------------------ the CPU budget
class BudgetSpent(KeyboardInterrupt):
    """Raised inside ``fit`` (by :func:`budgeted`'s loss) when the CPU budget is spent: ``fit``
    stops as it does on Ctrl-C."""


def budgeted(loss, deadline, clock=time.process_time):
    """``loss`` that raises :class:`BudgetSpent` in a training step once ``clock()`` passes
    ``deadline`` (validation is not stopped)."""

    def checked(model, mixture, stems):
        if model.training and clock() >= deadline:
            raise BudgetSpent()
        return loss(model, mixture, stems)

    return checked


def fit_within(model, train_set, valid_set, loss, deadline, clock=time.process_time, **fit_kwargs):
    """:func:`seplib.train.fit` with ``loss``, stopped at the first training step that starts
    after ``clock()`` reaches ``deadline``.

    Returns:
        (steps, stopped): optimizer steps done, and whether the budget stopped the run (then
        the model keeps the weights it had, not its best validation's)
    """
    from seplib.train import TrainingInterrupted, fit

    try:
        history = fit(model, train_set, valid_set, loss=budgeted(loss, deadline, clock), **fit_kwargs)
    except TrainingInterrupted as err:  # fit turns the loss's BudgetSpent into TrainingInterrupted
        if not isinstance(err.__context__, BudgetSpent):
            raise
        return err.step, True
    return history["step"][-1], False


def steps_for_budget(budget, step_seconds, valid_seconds, validations):
    """Optimizer steps that ``budget`` CPU seconds buy at ``step_seconds`` a step, with
    ``validations`` validations of ``valid_seconds`` each.

    Returns:
        (steps, valid_every): at least one step; ``valid_every`` makes about ``validations`` rows
    """
    if step_seconds <= 0:
        raise ValueError(f"a step must cost some CPU time, got {step_seconds}")
    steps = max(int((budget - validations * valid_seconds) // step_seconds), 1)
    return steps, max(steps // max(validations, 1), 1)


def write_json(out, path=None):
    """Print ``out`` as JSON (stdout) and write it to ``path`` (which must not exist) too."""
    from pathlib import Path

    text = json.dumps(out, indent=2, allow_nan=False)
    if path is not None:
        path = Path(path)
        if path.exists():
            raise FileExistsError(f"{path} exists: give --json a new file")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    print(text)
    return text


# ------------------------------------------------------------------ training and scoring
def median_sdr(per_track):
    """``{stem: median SDR}`` of :func:`seplib.metrics.evaluate`'s per-track table."""
    from seplib.metrics import summary

    return {stem: None if m["SDR"] is None else round(m["SDR"], 3)
            for stem, m in summary(per_track, "")["stems"].items()}


def scores(model, tracks, real):
    """The model's median SDR on the test tracks and on the real song (the U-Net's chunking)."""
    from seplib.metrics import evaluate

    return (median_sdr(evaluate("unet", tracks, store=False, progress=False, model=model)),
            median_sdr(evaluate("unet", [real], store=False, progress=False, model=model)))


def calibrate(model, train_set, valid_set, loss, todo, device):
    """CPU seconds of one optimizer step and of one validation of ``model`` (a throwaway copy)."""
    from seplib.train import _batch, batch_indices, mean_loss, train_step

    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    per_step = []
    for step in range(CALIBRATION_STEPS + 1):
        mixture, stems = _batch(train_set, batch_indices(step, todo["batch_size"], len(train_set)), device)
        start = time.process_time()
        train_step(model, loss, optimizer, mixture, stems)
        per_step.append(time.process_time() - start)
    start = time.process_time()
    mean_loss(model, loss, valid_set, todo["batch_size"], device)
    return float(sum(per_step[1:]) / CALIBRATION_STEPS), time.process_time() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="lab", help="run size: data, U-Net and plan (quick, lab, full)")
    parser.add_argument("--seed", type=int, default=0, help="seeds both models' weights and the data order")
    parser.add_argument("--json", default=None, help="also write the JSON to this file (must not exist)")
    args = parser.parse_args(argv)

    from seplib import config, models
    from seplib.data import open_dataset, real_song, root_and_size
    from seplib.data.chunks import FixedChunks, RandomChunks
    from seplib.losses import loss_for
    from seplib.run import current
    from seplib.train import fit, plan

    if args.size not in config.SIZES:
        parser.error(f"--size must be one of {config.SIZES}, got {args.size!r}")
    _, bandwidth_to_max_bin = import_openunmix()  # before the slow part: fails at once when missing
    root, size = root_and_size(None, args.size, None)
    run = current(size=size, root=root)
    device = torch.device(run.device)
    todo = plan("unet", run=run)
    unet_hparams = models.hparams("unet", run=run)
    stems = models.spec("unet").stems

    # the data, as train_model builds them for the U-Net (shared: a chunk depends only on
    # (seed, epoch, index))
    train_tracks = open_dataset("train", run=run)
    train_set = RandomChunks(train_tracks, todo["seconds"],
                             samples_per_epoch=max(todo["batch_size"] * todo["valid_every"], 64),
                             stems=stems, seed=args.seed, progress=False, **todo.get("augment", {}))
    valid_set = FixedChunks(open_dataset("valid", run=run), todo["seconds"], per_track=todo["per_track"],
                            stems=stems, progress=False)
    test_tracks, real = open_dataset("test", run=run), real_song()
    loss = loss_for("unet", **todo["loss"])
    common = dict(batch_size=todo["batch_size"], lr=1e-3, warmup=0, out_dir=None, seed=args.seed,
                  device=device, progress=False)
    validations = math.ceil(todo["steps"] / todo["valid_every"])
    out = {"size": size, "seed": args.seed, "device": str(device), "torch_threads": torch.get_num_threads(),
           "test_tracks": len(test_tracks), "plan": {k: v for k, v in todo.items() if k != "loss"},
           "loss": f"seplib.losses.loss_for('unet', **{todo['loss']})",
           "models": {}}

    # the U-Net: its plan's steps, timed
    config.seed_everything(args.seed)
    unet = models.build("unet", **unet_hparams)
    log(f"training unet ({size}): {todo['steps']} steps of {todo['batch_size']} x {todo['seconds']} s")
    start = time.process_time()
    history = fit(unet, train_set, valid_set, loss=loss, steps=todo["steps"], valid_every=todo["valid_every"],
                  **common)
    budget = time.process_time() - start
    sdr, real_sdr = scores(unet, test_tracks, real)
    out["models"]["unet"] = {"sdr": sdr, "real_song": {"sdr": real_sdr}, "train_cpu_seconds": round(budget, 1),
                             "steps": history["step"][-1], "parameters": models.parameter_count(unet)}
    log(json.dumps({"unet": out["models"]["unet"]}))

    # Open-Unmix: the same CPU seconds, its statistics included
    settings = OPENUNMIX[size]
    n_fft, hop = unet_hparams["n_fft"], unet_hparams["hop"]
    max_bin = int(bandwidth_to_max_bin(44100.0, n_fft, settings["bandwidth"]))
    shape = dict(stems=stems, audio_channels=unet.audio_channels, n_fft=n_fft, hop=hop,
                 hidden_size=settings["hidden_size"], nb_layers=settings["nb_layers"], max_bin=max_bin)
    start = time.process_time()
    mean, std = input_statistics(train_tracks, n_fft, hop)
    statistics_seconds = time.process_time() - start
    calibration = time.process_time()
    step_seconds, valid_seconds = calibrate(OpenUnmixStems(**shape, input_mean=mean, input_scale=std).to(device),
                                            train_set, valid_set, loss, todo, device)
    calibration = time.process_time() - calibration
    steps, valid_every = steps_for_budget(budget - statistics_seconds, step_seconds, valid_seconds, validations)
    log(f"training open-unmix ({size}): {steps} steps ({step_seconds:.3f} CPU-s a step, {valid_seconds:.2f} a "
        f"validation) in the U-Net's {budget:.1f} CPU-s")
    config.seed_everything(args.seed)
    peer = OpenUnmixStems(**shape, input_mean=mean, input_scale=std)
    start = time.process_time()
    done, stopped = fit_within(peer, train_set, valid_set, loss, start + budget - statistics_seconds,
                               steps=steps, valid_every=valid_every, **common)
    train_seconds = statistics_seconds + time.process_time() - start
    sdr, real_sdr = scores(peer, test_tracks, real)
    out["models"]["open-unmix"] = {
        "sdr": sdr, "real_song": {"sdr": real_sdr}, "train_cpu_seconds": round(train_seconds, 1),
        "statistics_cpu_seconds": round(statistics_seconds, 1), "steps": done, "stopped_by_budget": stopped,
        "calibration_cpu_seconds": round(calibration, 1), "parameters": models.parameter_count(peer),
        "config": {**shape, "stems": list(stems), "bandwidth_hz": settings["bandwidth"],
                   "phase": "the mixture's (masking by magnitude, no Wiener post-filter)"}}
    log(json.dumps({"open-unmix": out["models"]["open-unmix"]}))
    out["unet_at_or_above_open_unmix"] = {
        s: out["models"]["unet"]["sdr"][s] >= out["models"]["open-unmix"]["sdr"][s]
        for s in stems if None not in (out["models"]["unet"]["sdr"].get(s), out["models"]["open-unmix"]["sdr"].get(s))}
    write_json(out, args.json)
    return out


if __name__ == "__main__":
    main()
