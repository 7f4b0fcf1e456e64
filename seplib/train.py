"""One training loop for every model: :func:`fit`, and :func:`train_model` which sets it up.

``fit`` does what every deep-learning lesson needs and nothing more: AdamW with a learning
rate schedule, gradient clipping, mixed precision on a GPU, validation with early stopping,
a progress bar, a ``history`` to plot, and checkpoints from which a broken run (a Colab
runtime that disconnected) resumes exactly: same step, same optimizer, same data.

Taught in: 05_unet
"""
from __future__ import annotations

import math
import os
import random
from pathlib import Path

import numpy as np
import torch

from . import config, models, sizes
from .data import open_dataset, root_and_size
from .data.chunks import FixedChunks, RandomChunks
from .losses import loss_for
from .metrics import sdr
from .models import checkpoint
from .run import current
from .stems import RATE, STEMS
from .units import seconds_to_samples

SCHEDULES = ("constant", "cosine", "step")
COLUMNS = ("step", "train_loss", "valid_loss", "lr")
"""The columns of a training ``history`` (a dict of equal-length lists)."""



def plan(name, size=None, run=None):
    """The training plan of a model at a run size: the size's plan, changed where the model's
    file says so.

    The size's plan (the ``training`` part of :data:`seplib.sizes.TABLE`) gives ``steps``,
    ``batch_size``, ``seconds`` (chunk length), ``valid_every`` and ``per_track`` (validation
    chunks per track); a model may change any of them for itself, and add ``loss`` knobs for
    :func:`seplib.losses.loss_for` and ``augment`` knobs for the training chunks
    (:class:`seplib.data.chunks.RandomChunks`) (``training=`` of
    :func:`seplib.models.register_model`; Demucs-lite changes its steps, batch and loss).

    Args:
        name (str): a registered model
        size (str): ``quick``, ``lab`` or ``full`` (default: ``run.size``, else
            :func:`seplib.config.run_size`)
        run (:class:`seplib.run.Run`): the run context

    Returns:
        plan (dict): ``steps``, ``batch_size``, ``seconds``, ``valid_every``, ``per_track`` and
        ``loss`` (a dict of knobs, empty for the defaults); a copy

    Taught in: 05_unet
    """

    size = config.size_of(size, run)
    base = sizes.of("training", size)
    own = models.spec(name).training.get(size, {})
    return {**base, **own, "loss": {**base.get("loss", {}), **own.get("loss", {})}}


def learning_rate(step, steps, lr, schedule="cosine", warmup=0):
    """The learning rate at a step: linear warm-up, then constant, cosine decay, or steps of 1/10.

    Args:
        step (int): the current step (0-based)
        steps (int): total steps of the run
        lr (float): peak learning rate
        schedule (str): ``"constant"``, ``"cosine"`` (down to lr / 100) or ``"step"``
            (divided by 10 at 50 % and again at 75 % of the run)
        warmup (int): steps of linear warm-up

    Returns:
        lr (float)

    Taught in: 05_unet
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = (step - warmup) / max(steps - warmup, 1)
    if schedule == "cosine":
        return lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))
    if schedule == "step":
        return lr * (0.1 ** ((progress >= 0.5) + (progress >= 0.75)))
    return lr


def batch_indices(step, batch_size, n, seed=0):
    """Which items make up a batch: each epoch is a fresh permutation seeded by ``(seed, epoch)``.

    A pure function of ``step``, so a resumed run draws the very batches the broken one would.

    Returns:
        items (list of (epoch, index))

    Taught in: 05_unet
    """
    items, orders = [], {}
    for position in range(step * batch_size, (step + 1) * batch_size):
        epoch, i = divmod(position, n)
        if epoch not in orders:
            orders[epoch] = np.random.default_rng([seed, epoch]).permutation(n)
        items.append((epoch, int(orders[epoch][i])))
    return items


def _collate(dataset, items):
    """Collate items into ``mixture (batch, channels, samples)``, ``stems (batch, stems, channels, samples)``."""
    return torch.utils.data.default_collate([_item(dataset, item) for item in items])


def _item(dataset, item):
    epoch, i = item
    if hasattr(dataset, "set_epoch"):  # random chunks: a fresh draw each epoch
        dataset.set_epoch(epoch)
    return dataset[i]


def _batch(dataset, items, device):
    mixture, stems = _collate(dataset, items)
    return mixture.to(device), stems.to(device)


class _ByItem(torch.utils.data.Dataset):
    """A data set indexed by the ``(epoch, index)`` items of :func:`batch_indices`."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, item):
        return _item(self.dataset, item)


class _Plan:
    """The items of steps ``first_step`` to ``steps - 1`` (:func:`batch_indices`), made as they are
    used: memory and start-up time do not grow with the number of steps."""

    def __init__(self, first_step, steps, batch_size, n, seed):
        self.steps, self.args = range(first_step, steps), (batch_size, n, seed)

    def __len__(self):
        return len(self.steps)

    def __iter__(self):
        return (batch_indices(step, *self.args) for step in self.steps)


def batches(dataset, first_step, steps, batch_size, seed=0, workers=0):
    """The training batches of steps ``first_step`` to ``steps - 1``, in order, on the CPU.

    Each is ``(mixture (batch, channels, samples), stems (batch, stems, channels, samples))``
    made of the items :func:`batch_indices` names. With ``workers > 0``, that many background
    processes make them while the model trains (so that a GPU does not wait for the CPU); the
    batches are the same either way, since an item depends only on its ``(epoch, index)``.

    Returns:
        batches (iterator)

    Taught in: 05_unet
    """
    plan = _Plan(first_step, steps, batch_size, len(dataset), seed)  # drawn one step at a time
    if workers == 0 or not len(plan):  # (a finished run resumed: no workers to start)
        return (_collate(dataset, items) for items in plan)
    loader = torch.utils.data.DataLoader(_ByItem(dataset), batch_sampler=plan, num_workers=workers,
                                         pin_memory=torch.cuda.is_available())
    with torch.random.fork_rng(devices=[]):  # the loader draws a seed: keep torch's own draws as they were
        return iter(loader)


def mean_loss(model, loss, dataset, batch_size=8, device=None, amp_dtype=None):
    """Mean loss over a whole (validation) data set, without gradients, in eval mode.

    (Scoring separated tracks by SDR is :func:`seplib.metrics.evaluate`; this is the
    validation loss that :func:`fit` watches.)

    Args:
        model (nn.Module): the model
        loss (callable): ``loss(model, mixture, stems) -> scalar``
        dataset (Dataset): items ``(mixture (channels, samples), stems (stems, channels, samples))``
        batch_size (int): items per forward pass
        device (torch.device): default: where the model is
        amp_dtype (torch.dtype): autocast dtype (``None``: full precision)

    Returns:
        loss (float): the mean over items

    Taught in: 05_unet
    """
    device = device or next(model.parameters()).device
    was_training, total = model.training, 0.0
    model.eval()
    with torch.no_grad(), torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
        for start in range(0, len(dataset), batch_size):
            items = [(0, i) for i in range(start, min(start + batch_size, len(dataset)))]
            total += float(loss(model, *_batch(dataset, items, device))) * len(items)
    model.train(was_training)
    return total / len(dataset)


def evaluate_sdr(model, dataset, device=None):
    """Mean plain SDR (dB) of each stem over a data set of chunks: one yardstick for every loss.

    Each chunk's estimate is scored with :func:`seplib.metrics.sdr` against its true stems;
    a chunk where a stem is silent gives NaN for that stem and is left out of its mean.

    Args:
        model (nn.Module): the model (put in eval mode; left in its previous mode)
        dataset (Dataset): items ``(mixture (channels, samples), stems (stems, channels, samples))``,
            e.g. :class:`seplib.data.chunks.FixedChunks` of the valid split
        device (torch.device): default: where the model is

    Returns:
        sdr (dict): ``{stem: mean SDR in dB}``

    Taught in: 05_unet
    """

    device = device or next(model.parameters()).device
    stems = tuple(getattr(model, "stems", STEMS))
    was_training, scores = model.training, []
    model.eval()
    with torch.no_grad():
        for mixture, references in dataset:
            estimates = model(mixture[None].to(device))[0].float().cpu().numpy()
            scores.append([sdr(estimates[j], references[j].numpy()) for j in range(len(stems))])
    model.train(was_training)
    return dict(zip(stems, np.nanmean(np.array(scores, dtype=float), axis=0).tolist()))


def check_out_dir(out_dir, resume=False):
    """Make the checkpoint folder; refuse to start a fresh run over an existing one.

    Returns:
        path (Path): ``out_dir / "last.pt"`` (which may not exist yet)

    Taught in: 05_unet
    """
    last_path = Path(out_dir) / checkpoint.LAST
    if last_path.exists() and not resume:
        raise FileExistsError(f"{last_path} exists: continue that run with resume=True (--resume on "
                              "the command line), or choose another folder (nothing was overwritten)")
    last_path.parent.mkdir(parents=True, exist_ok=True)
    return last_path


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (or a notebook's stop button) during :func:`fit`: says the step reached and the
    step ``last.pt`` holds, from which ``resume=True`` continues.

    Taught in: 05_unet
    """

    def __init__(self, step, saved_step=None, last_path=None):
        self.step, self.saved_step, self.last_path = step, saved_step, last_path
        if last_path is None:
            said = "no checkpoint folder, nothing saved"
        elif saved_step:
            said = f"resume=True (--resume) continues from step {saved_step}, saved in {last_path}"
        else:
            said = f"no checkpoint was saved yet in {last_path.parent}: start again"
        super().__init__(f"stopped at step {step}; {said}")


MAX_STEPS = 10_000_000
"""The most optimizer steps one run may ask for (the ``full`` plans take a few thousand)."""


def check_steps(steps):
    """Refuse a number of steps that trains nothing (0, negative, not a whole number), or that no
    run could finish (over :data:`MAX_STEPS`)."""
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps <= 0):
        raise ValueError(f"steps must be a positive whole number of optimizer steps, got {steps!r}")
    if steps is not None and steps > MAX_STEPS:
        raise ValueError(f"steps must be at most {MAX_STEPS:,} (the full plans take a few thousand), got {steps:,}")


def check_resume(last_path, steps=None, name=None, saved=None):
    """Refuse a resume that cannot go on: ``last.pt`` holds another model, or is already at or past
    ``steps`` (a run that reached exactly ``steps`` is finished: resuming it does nothing).

    Args:
        last_path (Path): the run's ``last.pt`` (nothing to check if it does not exist)
        steps (int): the steps asked for in all (``None``: not checked)
        name (str): the model to resume as (``None``: not checked)
        saved (dict): ``last_path`` already read (default: read it here)

    Returns:
        saved (dict or None): the checkpoint read (``None`` if there is none)

    Raises:
        ValueError: the file is damaged, holds another model, or is past ``steps``

    Taught in: 05_unet
    """
    last_path = Path(last_path)
    if saved is None:
        if not last_path.exists():
            return None
        saved = checkpoint.read(last_path)
    if "state" not in saved or "optimizer_state" not in saved:
        raise ValueError(f"{last_path} holds trained weights but not a training run to resume "
                         "(no optimizer state or step): train into another folder")
    if name is not None and saved["model_name"] != name:
        raise ValueError(f"{last_path} is a {saved['model_name']!r} run: it cannot be resumed as {name!r}; "
                         f"resume it as {saved['model_name']!r}, or train {name!r} into another folder")
    done = saved["state"]["step"]
    if steps is not None and done > steps:
        raise ValueError(f"{last_path} is already at step {done}, past the {steps} steps asked for: "
                         f"give more than {done} steps to train on, or use its weights as they are")
    return saved


def _rng_state():
    np_state = np.random.get_state()  # numpy's key as a tensor: the file loads with weights_only
    return {"python": random.getstate(), "torch": torch.get_rng_state(),
            "numpy": (np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def _set_rng_state(state):
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    name, key, *rest = state["numpy"]
    np.random.set_state((name, key.numpy().astype(np.uint32), *rest))
    if state["cuda"] and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


def train_step(model, loss, optimizer, mixture, stems, clip_grad=5.0, scaler=None, amp_dtype=None):
    """One optimizer step: forward, loss, backward, clip the gradient norm, update.

    Args:
        mixture (torch.Tensor): ``(batch, channels, samples)``
        stems (torch.Tensor): ``(batch, stems, channels, samples)``
        clip_grad (float): largest gradient norm (``None``: no clipping)
        scaler (torch.amp.GradScaler): float16 loss scaling (``None``: none)
        amp_dtype (torch.dtype): autocast to this dtype (``None``: full precision)

    Returns:
        loss (float): the batch's loss before the update

    Taught in: 05_unet
    """
    scaler = scaler or torch.amp.GradScaler("cuda", enabled=False)
    model.train()
    device_type = mixture.device.type
    with torch.autocast(device_type, dtype=amp_dtype, enabled=amp_dtype is not None):
        value = loss(model, mixture, stems)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(value).backward()
    if clip_grad:
        scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad)
    scaler.step(optimizer)
    scaler.update()
    return value.item()


def fit(model, train_set, valid_set=None, loss=None, steps=1000, batch_size=8, lr=1e-3,
        weight_decay=0.0, schedule="cosine", warmup=0, clip_grad=5.0, valid_every=None,
        patience=None, out_dir=None, checkpoint_every=None, resume=False, seed=0, device=None,
        amp=True, progress=True, callback=None, workers=None):
    """Train a model: AdamW, LR schedule, clipping, AMP on CUDA, early stopping, checkpoints.

    Args:
        model (nn.Module): maps ``(batch, channels, samples)`` to ``(batch, stems, channels, samples)``
        train_set (Dataset): items ``(mixture (channels, samples), stems (stems, channels, samples))``,
            e.g. :class:`seplib.data.chunks.RandomChunks`
        valid_set (Dataset): same items, e.g. :class:`seplib.data.chunks.FixedChunks`; ``None``: no
            validation (and no early stopping)
        loss (callable): ``loss(model, mixture, stems) -> scalar``; default
            :func:`seplib.losses.loss_for` of the model's name
        steps (int): optimizer steps in all (a resumed run counts those already done)
        batch_size (int): items per step
        lr (float): peak learning rate; weight_decay (float): AdamW decay (0: plain Adam)
        schedule (str): ``"cosine"``, ``"step"`` or ``"constant"``; warmup (int): warm-up steps
        clip_grad (float): largest gradient norm (``None``: no clipping)
        valid_every (int): steps between validations, which are also the history's rows
            (default: ``steps // 20``)
        patience (int): stop after this many validations without a new best (``None``: never)
        out_dir (str or Path): where ``last.pt`` (for resuming) and ``best.pt`` (best validation)
            go; ``None``: no files
        checkpoint_every (int): steps between writes of ``last.pt`` (default: ``valid_every``)
        resume (bool): continue from ``out_dir/last.pt`` if it exists; the seed, batch size and
            training data (items per epoch, chunk length) must be those of the saved run, while
            ``steps`` may grow (the schedule then stretches to the new length)
        seed (int): seeds the data order and torch/numpy/python (on a fresh start)
        device (torch.device): default :func:`seplib.config.device`
        amp (bool): mixed precision on CUDA (bfloat16, or float16 with loss scaling); never
            on other devices
        progress (bool): show a tqdm bar with the running loss
        callback (callable): called as ``callback(history)`` after each new history row (each
            validation), with a copy of the history so far (as returned below), e.g.
            :func:`seplib.plots.live_losses` to redraw the loss curve while training;
            ``None``: nothing
        workers (int): processes making batches in the background (see :func:`batches`);
            default: on CUDA one per spare CPU core, at most 8; elsewhere none (the model
            itself keeps the cores busy)

    Training keeps the memory it frees in the process (:func:`seplib.config.keep_freed_memory`):
    each step is cheaper. When it ends (or stops), it hands that memory back
    (:func:`seplib.config.give_back_freed_memory`).

    Returns:
        history (dict): lists ``step``, ``train_loss`` (mean since the previous row),
        ``valid_loss`` (NaN without a validation set), ``lr``; ``pandas.DataFrame(history)``
        makes it a table. With a validation set, ``model`` ends holding its best weights.

    Taught in: 05_unet
    """
    from tqdm.auto import tqdm


    check_steps(steps)
    device = torch.device(device) if device is not None else config.device()
    info = checkpoint.model_info(model)
    loss = loss or loss_for(info["model_name"])
    valid_every = valid_every or max(steps // 20, 1)
    checkpoint_every = checkpoint_every or valid_every
    if len(train_set) == 0:
        raise ValueError("train_set is empty")
    model.to(device)
    # every step frees and allocates the same large buffers: keep them in the process (a step a
    # quarter to a third cheaper on a CPU), and hand them back when training ends (below)
    config.keep_freed_memory()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    amp_dtype = _amp_dtype(amp, device)
    scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16)
    # what fixes the data a step sees: a resumed run must match these to see the same batches
    settings = {"seed": seed, "batch_size": batch_size, "items_per_epoch": len(train_set),
                "chunk_samples": getattr(train_set, "length", None)}
    planned = {"steps": steps, "lr": lr, "schedule": schedule, "warmup": warmup}

    out_dir = Path(out_dir) if out_dir is not None else None
    last_path = check_out_dir(out_dir, resume) if out_dir else None
    if resume and last_path and last_path.exists():
        state, best_state = _resume(last_path, model, optimizer, scaler, settings, steps, info["model_name"])
    else:
        if resume and last_path:  # said, so a mistyped folder is not taken for a resumed run
            print(f"nothing to resume in {out_dir} (no {checkpoint.LAST} there): starting a new run")
        config.seed_everything(seed)
        state, best_state = _fresh_state(), None

    if workers is None:
        workers = min(8, (os.cpu_count() or 1) - 1) if device.type == "cuda" else 0
    data = batches(train_set, state["step"], steps, batch_size, seed, workers)
    # The bar is redrawn at most once a second (and the loss beside it only then): in a notebook
    # each redraw is a message to the browser, and a run of thousands of steps that redrew after
    # every one would send thousands (a test runner that reads the messages only after the cell
    # has finished then loses the cell's end among them).
    bar = tqdm(total=steps, initial=state["step"], desc=f"training {info['model_name']}",
               disable=not progress, mininterval=1.0)
    saved_step = state["step"] if last_path and last_path.exists() else None
    try:
        while state["step"] < steps and not state["stopped"]:
            step = state["step"]
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(step, steps, lr, schedule, warmup)
            mixture, stems = (x.to(device, non_blocking=True) for x in next(data))
            value = train_step(model, loss, optimizer, mixture, stems, clip_grad, scaler, amp_dtype)
            if not math.isfinite(value) and not scaler.is_enabled():
                raise FloatingPointError(f"the loss is {value} at step {step}: lower lr or check the data")
            state["interval_losses"].append(value)
            state["step"] = step = step + 1
            _show_loss(bar, state)

            if step % valid_every == 0 or step == steps:  # one history row
                best = _history_row(state, model, loss, valid_set, batch_size, device, amp_dtype,
                                    optimizer.param_groups[0]["lr"], patience, out_dir, info, bar)
                best_state = best if best is not None else best_state
                if callback is not None:
                    callback({c: list(v) for c, v in state["history"].items()})
            if last_path and (step % checkpoint_every == 0 or step == steps or state["stopped"]):
                _save_last(last_path, info, model, optimizer, scaler, state, settings, planned)
                saved_step = state["step"]
    except KeyboardInterrupt:  # Ctrl-C: last.pt holds the last whole checkpoint
        bar.close()
        del data
        raise TrainingInterrupted(state["step"], saved_step, last_path) from None
    finally:
        config.give_back_freed_memory()  # what the steps freed and the process kept
    bar.close()
    del data  # stops the workers of an early-stopped run
    if best_state is not None:  # end on the best weights seen
        model.load_state_dict(best_state)
    return {c: list(v) for c, v in state["history"].items()}


def _amp_dtype(amp, device):
    """The dtype :func:`fit` autocasts to: on CUDA only, bfloat16 where native (Ampere and newer),
    else float16 (with loss scaling: a T4); ``None`` (full precision) elsewhere or without ``amp``."""
    if amp and device.type == "cuda":
        return torch.bfloat16 if torch.cuda.get_device_capability(device)[0] >= 8 else torch.float16
    return None


def _fresh_state():
    """What :func:`fit` carries from step to step (and ``last.pt`` saves), at step 0: the history's
    columns, the best validation loss so far, validations without a new best, the training losses
    since the last history row, and whether early stopping ended the run."""
    return {"step": 0, "history": {c: [] for c in COLUMNS}, "best_valid": math.inf,
            "bad_validations": 0, "interval_losses": [], "stopped": False}


def _resume(last_path, model, optimizer, scaler, settings, steps, name):
    """Put a stopped run back as ``last.pt`` left it, so that it goes on exactly as if never stopped.

    Checks that the saved run can go on (:func:`check_resume`) with the same data (``settings``:
    seed, batch size, items per epoch, chunk length), then restores the model's weights, the
    optimizer, the loss scaler and every random generator, and reads the best weights so far from
    ``best.pt`` beside it (a damaged ``best.pt`` is said in one line and written again at the
    next validation).

    Args:
        last_path (Path): the run's ``last.pt``
        model, optimizer, scaler: :func:`fit`'s, restored in place
        settings (dict): the data settings of the run asked for
        steps (int): the steps asked for in all (may be more than the saved run planned)
        name (str): the model's name

    Returns:
        state (dict): as :func:`_fresh_state`, at the saved step
        best_state (dict or None): the best weights so far (``None``: none readable)

    Raises:
        ValueError: another model, other data settings, past ``steps``, or weights that do not fit
    """
    saved = check_resume(last_path, steps, name, checkpoint.read(last_path))
    differ = {k: (saved["settings"][k], settings[k]) for k in saved["settings"].keys() & settings.keys()
              if saved["settings"][k] != settings[k]}
    if differ:
        said = ", ".join(f"{k} {a} (now {b})" for k, (a, b) in sorted(differ.items()))
        raise ValueError(f"{last_path} was trained with {said}: resuming would change the data it sees; "
                         "resume with the same settings, or train into another folder")
    planned = saved.get("fit", {}).get("steps")
    if planned is not None and planned != steps and saved["state"]["step"] < steps:
        print(f"resuming at step {saved['state']['step']} of a run planned for {planned} steps, now "
              f"{steps}: the learning-rate schedule stretches to the new length")
    try:
        model.load_state_dict(saved["model_state"])
    except RuntimeError as err:
        raise ValueError(f"{last_path}: its weights do not fit this {name!r} (other "
                         f"hyper-parameters or size?): {checkpoint.misfit(model, saved['model_state'])}; "
                         f"it is left as it is: train into another folder (out=...), or move "
                         f"{last_path.parent} aside to start this model afresh") from err
    optimizer.load_state_dict(saved["optimizer_state"])
    if saved["scaler_state"]:  # empty when saved without float16 loss scaling
        scaler.load_state_dict(saved["scaler_state"])
    state = saved["state"]
    _set_rng_state(saved["rng"])
    best_state = None
    if (last_path.parent / checkpoint.BEST).exists():
        try:  # a damaged best.pt must not block a sound last.pt: it is written again
            best_state = checkpoint.read(last_path.parent / checkpoint.BEST)["model_state"]
        except ValueError as err:
            print(f"{err}; resuming from {last_path} all the same: best.pt is written again at "
                  "the next validation")
            state["best_valid"] = math.inf
    return state, best_state


def _show_loss(bar, state):
    """The progress bar's loss (the mean of the last 20 steps) and the last validation's, shown
    at the bar's next redraw."""
    shown = {"loss": f"{np.mean(state['interval_losses'][-20:]):.4g}"}
    if state["history"]["valid_loss"] and math.isfinite(state["history"]["valid_loss"][-1]):
        shown["valid"] = f"{state['history']['valid_loss'][-1]:.4g}"  # the last validation's
    bar.set_postfix(shown, refresh=False)
    bar.update(1)


def _history_row(state, model, loss, valid_set, batch_size, device, amp_dtype, lr, patience, out_dir, info, bar):
    """One row of the history at ``state["step"]``: the validation loss, a new ``best.pt`` when it
    is the best so far, early stopping after ``patience`` validations without one.

    Appends ``(step, mean training loss since the last row, validation loss, lr)`` to
    ``state["history"]`` and updates ``state`` (best loss, validations without a new best,
    ``stopped``) in place.

    Args:
        state (dict): :func:`fit`'s state (see :func:`_fresh_state`)
        valid_set (Dataset): ``None``: no validation (the row's validation loss is NaN)
        lr (float): the learning rate of the step just taken
        out_dir (Path): where ``best.pt`` goes (``None``: no file)
        (the others: :func:`fit`'s)

    Returns:
        best_state (dict or None): a copy (on the CPU) of the model's weights when they are the
        best so far, else ``None``
    """
    step, best_state = state["step"], None
    valid = math.nan
    if valid_set is not None:
        valid = mean_loss(model, loss, valid_set, batch_size, device, amp_dtype)
        if valid < state["best_valid"]:
            state["best_valid"], state["bad_validations"] = valid, 0
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            if out_dir:
                checkpoint.save(out_dir / checkpoint.BEST, {**info, "model_state": best_state,
                                                            "step": step, "valid_loss": valid})
        else:
            state["bad_validations"] += 1
            if patience is not None and state["bad_validations"] >= patience:
                state["stopped"] = True
                bar.write(f"early stop at step {step}: no better validation loss in "
                          f"{patience} validations (best {state['best_valid']:.4g})")
    row = (step, float(np.mean(state["interval_losses"])), valid, lr)
    for column, v in zip(COLUMNS, row):
        state["history"][column].append(v)
    state["interval_losses"] = []
    bar.set_postfix(loss=f"{row[1]:.4g}", valid=f"{valid:.4g}", refresh=False)
    return best_state


def _save_last(last_path, info, model, optimizer, scaler, state, settings, planned):
    """Write ``last.pt``: everything a resumed run needs to go on exactly (weights, optimizer,
    loss scaler, :func:`fit`'s state, every random generator, the data settings, and the plan:
    ``planned`` holds ``steps``, ``lr``, ``schedule`` and ``warmup``)."""
    checkpoint.save(last_path, {
        **info, "model_state": model.state_dict(), "optimizer_state": optimizer.state_dict(),
        "scaler_state": scaler.state_dict(), "state": state, "rng": _rng_state(),
        "settings": settings, "fit": planned})


def _check_same_data(last_path, saved, todo, seed):
    """Refuse, before the data are read, a resume whose batch size, chunk length or seed differ
    from those of the run in ``last_path`` (``fit`` checks them all again, with the data)."""

    if not saved or "settings" not in saved:
        return
    now = {"seed": seed, "batch_size": todo["batch_size"],
           "chunk_samples": seconds_to_samples(todo["seconds"], RATE)}
    differ = {k: (saved["settings"][k], v) for k, v in now.items()
              if saved["settings"].get(k) is not None and saved["settings"][k] != v}
    if differ:
        said = ", ".join(f"{k} {a} (now {b})" for k, (a, b) in sorted(differ.items()))
        raise ValueError(f"{last_path} was trained with {said}: resuming would change the data it sees; "
                         "resume with the same size and settings, or train into another folder")


def train_model(name, size=None, steps=None, out=None, resume=False, seed=0, root=None,
                progress=True, batch_size=None, seconds=None, lr=1e-3, kind=None, stft_weight=None,
                spec_augment=None, weights=None, callback=None, run=None, load="auto", augment=None, warmup=0,
                **hparams):
    """Train a named model on the train split, validating on the valid split: what
    ``seplib train MODEL`` and the notebooks call.

    Args:
        name (str): ``unet``, ``demucs-lite``, ``dprnn``, ``conv1d`` or a model you registered
        size (str): run size (``quick``/``lab``/``full``; default: ``run.size``, else
            :func:`seplib.config.run_size`): picks the model's hyper-parameters, the data and
            the training :func:`plan`
        steps (int): override the plan's number of steps
        out (str or Path): checkpoint folder (default ``run.models_dir / name``, where
            :func:`seplib.models.default_checkpoint` looks)
        resume (bool): continue the run saved in ``out``
        seed (int): seeds the model's initial weights and the data
        root: data set root (see :func:`seplib.data.open_dataset`; default: the run's)
        progress (bool): show bars
        batch_size (int), seconds (float): override the plan's batch size and chunk length
        lr (float): peak learning rate
        kind (str): the masked-magnitude models' loss, ``"sdr"``, ``"l1"`` or ``"l2"``
            (:func:`seplib.losses.loss_for`)
        stft_weight (float): weight of Demucs-lite's multi-resolution STFT term
        spec_augment (bool or dict): train a spectrogram model on SpecAugmented inputs
        weights (dict): per-stem loss weights, e.g. ``{"vocals": 2.0}`` (others weigh 1)
        callback (callable): ``callback(history)`` after each validation (see :func:`fit`)
        run (:class:`seplib.run.Run`): the run context (default :func:`seplib.run.current`);
            ``size`` and ``root``, if given, stand in for its own
        load (str): where chunks are cut from: ``"memory"`` (every song read once),
            ``"disk"`` (each chunk read from the WAV files: memory flat in the number of songs)
            or ``"auto"`` (memory up to :data:`seplib.data.chunks.IN_MEMORY_BYTES`); the
            chunks are the same either way (:func:`seplib.data.chunks.open_songs`)
        augment (dict): the training chunks' augmentation, over the plan's: ``gain``, ``swap``,
            ``remix``, ``noise`` of :class:`seplib.data.chunks.RandomChunks`
        warmup (int): steps of linear learning-rate warm-up before the cosine (:func:`learning_rate`)
        **hparams: model hyper-parameters over ``seplib.models.hparams(name, size)``

    The loss knobs given here win over the plan's ``loss`` knobs.

    Returns:
        (model, history): the trained model (best validation weights) and :func:`fit`'s history

    Taught in: 05_unet
    """

    check_steps(steps)
    root, size = root_and_size(root, size, run)
    run = current(size=size, root=root, device=run.device if run is not None else None)
    spec = models.spec(name)
    knobs = {k: v for k, v in dict(kind=kind, stft_weight=stft_weight, spec_augment=spec_augment).items()
             if v is not None}
    stems = tuple(hparams.get("stems", spec.stems))
    unknown = set(weights or {}) - set(stems)
    if unknown:
        raise ValueError(f"weights are per-stem loss weights ({', '.join(stems)}); got {sorted(unknown)}: "
                         "pass the loss's other knobs by name (kind=, stft_weight=, spec_augment=)")
    todo = plan(name, run=run)
    todo.update({k: v for k, v in dict(steps=steps, batch_size=batch_size, seconds=seconds).items()
                 if v is not None})
    if out is not None and not str(out).strip():  # Path("") is the current folder
        raise ValueError("--out is empty: give the folder the checkpoints go in (or leave it out for "
                         f"the default, {run.models_dir / name})")
    out = Path(out).expanduser() if out is not None else run.models_dir / name
    # A second notebook (or test worker) training the same folder waits here, then resumes
    # the finished run instead of writing over it.
    with config.locked(out / ".lock"):
        last_path = check_out_dir(out, resume)  # before the slow part
        if resume:  # a run of another size or seed is refused here, before its data set is written
            _check_same_data(last_path, check_resume(last_path, todo["steps"], name), todo, seed)
        config.seed_everything(seed)
        model = models.build(name, **{**models.hparams(name, run=run), **hparams})
        stems = tuple(getattr(model, "stems", STEMS))
        train_set = RandomChunks(open_dataset("train", run=run), todo["seconds"],
                                 samples_per_epoch=max(todo["batch_size"] * todo["valid_every"], 64),
                                 stems=stems, seed=seed, progress=progress, load=load,
                                 **{**todo.get("augment", {}), **(augment or {})})
        valid_set = FixedChunks(open_dataset("valid", run=run), todo["seconds"],
                                per_track=todo["per_track"], stems=stems, progress=progress, load=load)
        history = fit(model, train_set, valid_set, loss=loss_for(name, **{**todo["loss"], **knobs, **(weights or {})}),
                      steps=todo["steps"], batch_size=todo["batch_size"], lr=lr, warmup=warmup,
                      valid_every=todo["valid_every"], out_dir=out, resume=resume, seed=seed,
                      device=run.device, progress=progress, callback=callback)
    return model, history


def lesson_model(name, run=None, **train_kwargs):
    """The trained network a lesson uses: trained here, or the one shipped with seplib.

    The run cell's switch (:func:`seplib.config.setup_run`'s ``models``, read by
    :func:`seplib.config.models_from`) decides. With ``"train"`` this is
    ``train_model(name, resume=True, **train_kwargs)``: a stopped run carries on, a finished one
    returns at once. With ``"shipped"`` nothing is trained: the model shipped inside the package
    (:func:`seplib.models.shipped_checkpoint`) is loaded, with the training curve its record keeps.
    Either way it says which it used.

    Args:
        name (str): ``unet``, ``demucs-lite``, ``dprnn`` or ``conv1d``
        run (:class:`seplib.run.Run`): the run context (default :func:`seplib.run.current`)
        **train_kwargs: passed to :func:`train_model` when training here (``out=``, ``callback=``, ...)

    Returns:
        (model, history, checkpoint): the model (on the run's device), the training history
        (:func:`fit`'s dict of lists; the shipped record's when shipped) and the
        checkpoint file the model was loaded from

    Taught in: 05_unet
    """

    run = run or current()
    if config.models_from() == "shipped" and name not in models.shipped.SHIPPED:
        print(f"{name}: no trained {name} ships with seplib, so it is trained here")
    elif config.models_from() == "shipped":
        path = models.shipped_checkpoint(name)
        record = models.shipped_record(name)
        model = models.load(path, device=run.device)
        print(f"{name}: the model shipped with seplib ({path.name}, trained with "
              f"`{record.get('command', 'seplib train')}`); nothing was trained here")
        return model, {c: list(record.get("history", {}).get(c, [])) for c in COLUMNS}, path
    model, history = train_model(name, resume=True, run=run, **train_kwargs)
    out = Path(train_kwargs["out"]) if train_kwargs.get("out") is not None else run.models_dir / name
    print(f"{name}: trained here ({out / checkpoint.BEST})")
    return model, history, out / checkpoint.BEST
