"""What a training plan costs, counted rather than timed: parameters and floating-point
operations of one training step (forward and backward, loss included) of each model, and of
the whole plan, at each run size.

Counts come from ``torch.utils.flop_counter`` on the CPU, so no GPU is needed: use them to
size a plan for the GPU at hand. The counter sees convolutions and matrix products, not the
recurrent kernels, so the DPRNN's and Demucs-lite's LSTMs are left out (their rows are lower
bounds). Prints one JSON object per (size, model).

With ``--time-steps N``, each row also gives the CPU seconds of one optimizer step on the
CPU (the mean of steps 3 to N, on this process's threads: ``OMP_NUM_THREADS=1`` for one core).
The process keeps the memory it frees, as :func:`seplib.train.fit` does
(:func:`seplib.config.keep_freed_memory`); ``--give-back`` times glibc's default instead.

Usage: ``python benchmarks/train_cost.py [--sizes lab full] [--time-steps 8] [--give-back]``
"""
import argparse
import json

import torch
from torch.utils.flop_counter import FlopCounterMode

from seplib import RATE, config, models, train
from seplib.losses import loss_for


def _batch(name, size):
    plan = train.plan(name, size)
    samples = int(plan["seconds"] * RATE)
    generator = torch.Generator().manual_seed(0)
    return plan, 0.05 * torch.randn(plan["batch_size"], 4, 2, samples, generator=generator)


def step_seconds(name, size, steps=8):
    """Mean CPU seconds of one AdamW step (forward, loss, backward, update), steps 3 to ``steps``."""
    import time

    plan, stems = _batch(name, size)
    torch.manual_seed(0)
    model = models.build(name, **models.hparams(name, size))
    loss = loss_for(name, **plan.get("loss", {}))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    times = []
    for _ in range(steps):
        start = time.process_time()
        train.train_step(model, loss, optimizer, stems.sum(dim=1), stems)
        times.append(time.process_time() - start)
    later = times[2:] or times
    return sum(later) / len(later)


def step_flops(name, size):
    """Operations of one training step of ``name`` with the plan and model of ``size``."""
    plan, stems = _batch(name, size)
    model = models.build(name, **models.hparams(name, size))
    loss = loss_for(name, **plan.get("loss", {}))
    with FlopCounterMode(display=False) as counter:
        loss(model, stems.sum(dim=1), stems).backward()
    return plan, models.parameter_count(model), counter.get_total_flops()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["lab", "full"])
    parser.add_argument("--models", nargs="+", default=models.names())
    parser.add_argument("--time-steps", type=int, default=0, help="also time this many steps on the CPU (0: none)")
    parser.add_argument("--give-back", action="store_true",
                        help="time the steps with glibc's default: freed memory goes back to the system")
    args = parser.parse_args()
    kept = config.keep_freed_memory() if args.time_steps and not args.give_back else False
    for size in args.sizes:
        for name in args.models:
            plan, params, flops = step_flops(name, size)
            row = {"size": size, "model": name, "params": params,
                   "batch": f"{plan['batch_size']} x {plan['seconds']} s", "steps": plan["steps"],
                   "gflop_per_step": round(flops / 1e9, 1), "tflop_per_plan": round(flops * plan["steps"] / 1e12, 1)}
            if args.time_steps:
                row["cpu_seconds_per_step"] = round(step_seconds(name, size, args.time_steps), 3)
                row["freed_memory"] = "kept" if kept else "given back"
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
