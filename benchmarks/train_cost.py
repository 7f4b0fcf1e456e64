"""What a training plan costs, counted rather than timed: parameters and floating-point
operations of one training step (forward and backward, loss included) of each model, and of
the whole plan, at each run size.

Counts come from ``torch.utils.flop_counter`` on the CPU, so no GPU is needed: use them to
size a plan for the GPU at hand. The counter sees convolutions and matrix products, not the
recurrent kernels, so the DPRNN's and Demucs-lite's LSTMs are left out (their rows are lower
bounds). Prints one JSON object per (size, model).

Usage: ``python benchmarks/train_cost.py [--sizes lab full]``
"""
import argparse
import json

import torch
from torch.utils.flop_counter import FlopCounterMode

from seplib import RATE, models, train
from seplib.losses import loss_for


def step_flops(name, size):
    """Operations of one training step of ``name`` with the plan and model of ``size``."""
    plan = train.plan(name, size)
    model = models.build(name, **models.hparams(name, size))
    samples = int(plan["seconds"] * RATE)
    generator = torch.Generator().manual_seed(0)
    stems = 0.05 * torch.randn(plan["batch_size"], 4, 2, samples, generator=generator)
    loss = loss_for(name, **plan.get("loss", {}))
    with FlopCounterMode(display=False) as counter:
        loss(model, stems.sum(dim=1), stems).backward()
    return plan, models.parameter_count(model), counter.get_total_flops()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["lab", "full"])
    parser.add_argument("--models", nargs="+", default=models.names())
    args = parser.parse_args()
    for size in args.sizes:
        for name in args.models:
            plan, params, flops = step_flops(name, size)
            print(json.dumps({"size": size, "model": name, "params": params,
                              "batch": f"{plan['batch_size']} x {plan['seconds']} s", "steps": plan["steps"],
                              "gflop_per_step": round(flops / 1e9, 1),
                              "tflop_per_plan": round(flops * plan["steps"] / 1e12, 1)}), flush=True)


if __name__ == "__main__":
    main()
