"""Reference runs of `lrsched train`'s optimizers with momentum, nesterov, weight decay, betas,
AdamW, and the momentum (beta1) cycling of CyclicLR and OneCycleLR, made with real torch.

Run from the repository root with torch installed:

    python3 tests/golden/scripts/train_optimizers.py > tests/golden/train-optimizers.json

Every case trains the demo's model (Linear(10, 1), MSELoss) on torch.manual_seed(0)'s data and
initial weights (tests/golden/train-seed0-data.csv and train-seed0-init.json) with the loop of
the PyTorch demo, and records, for each step, the lr and the momentum (SGD's `momentum`,
Adam's `betas[0]`) that step's update used, and its loss. `args` are the lrsched arguments of
the same run. Error cases record the message torch raises.
"""

import csv
import json
import math
import sys

import torch
from torch import nn, optim
from torch.optim import lr_scheduler as lrs


def load():
    with open("tests/golden/train-seed0-data.csv") as f:
        rows = list(csv.reader(f))[1:]
    x = torch.tensor([[float(v) for v in r[:-1]] for r in rows], dtype=torch.float32)
    y = torch.tensor([[float(r[-1])] for r in rows], dtype=torch.float32)
    with open("tests/golden/train-seed0-init.json") as f:
        init = json.load(f)
    return x, y, init


def warmup(opt, w):
    return lrs.LambdaLR(opt, lambda s: s / max(1, w) if s < w else 1.0)


def with_warmup(opt, w, make):
    if w == 0:
        return make(opt)
    return lrs.SequentialLR(opt, [warmup(opt, w), make(opt)], milestones=[w])


# (id, optimizer constructor, scheduler constructor, warmup, steps, base lr, lrsched args)
CASES = [
    ("sgd-CyclicLR", "optim.SGD(p, lr=0.1)",
     "lrs.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4)", 0, 10, 0.1,
     ["--optimizer", "sgd", "--schedule", "CyclicLR", "--set", "base_lr=0.01", "--set", "max_lr=0.1",
      "--set", "step_size_up=4"]),
    ("adam-CyclicLR", "optim.Adam(p, lr=0.1)",
     "lrs.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4)", 0, 10, 0.1,
     ["--optimizer", "adam", "--schedule", "CyclicLR", "--set", "base_lr=0.01", "--set", "max_lr=0.1",
      "--set", "step_size_up=4"]),
    ("adamw-CyclicLR-triangular2", "optim.AdamW(p, lr=0.1)",
     "lrs.CyclicLR(opt, base_lr=0.001, max_lr=0.05, step_size_up=3, step_size_down=2, mode='triangular2')",
     0, 20, 0.1,
     ["--optimizer", "adamw", "--schedule", "CyclicLR", "--set", "base_lr=0.001", "--set", "max_lr=0.05",
      "--set", "step_size_up=3", "--set", "step_size_down=2", "--set", "mode=triangular2"]),
    ("sgd-CyclicLR-exp_range-momentum-bounds", "optim.SGD(p, lr=0.1, momentum=0.5)",
     "lrs.CyclicLR(opt, base_lr=0.01, max_lr=0.08, step_size_up=2, mode='exp_range', gamma=0.9, "
     "base_momentum=0.7, max_momentum=0.95)", 0, 15, 0.1,
     ["--optimizer", "sgd", "--momentum", "0.5", "--schedule", "CyclicLR", "--set", "base_lr=0.01",
      "--set", "max_lr=0.08", "--set", "step_size_up=2", "--set", "mode=exp_range", "--set", "gamma=0.9",
      "--set", "base_momentum=0.7", "--set", "max_momentum=0.95"]),
    ("sgd-CyclicLR-no-cycle-momentum", "optim.SGD(p, lr=0.1, momentum=0.9)",
     "lrs.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4, cycle_momentum=False)", 0, 10, 0.1,
     ["--optimizer", "sgd", "--momentum", "0.9", "--schedule", "CyclicLR", "--set", "base_lr=0.01",
      "--set", "max_lr=0.1", "--set", "step_size_up=4", "--set", "cycle_momentum=false"]),
    ("sgd-warmup3-CyclicLR", "optim.SGD(p, lr=0.1)",
     "lrs.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4)", 3, 12, 0.1,
     ["--optimizer", "sgd", "--warmup", "3", "--schedule", "CyclicLR", "--set", "base_lr=0.01",
      "--set", "max_lr=0.1", "--set", "step_size_up=4"]),
    ("sgd-OneCycleLR", "optim.SGD(p, lr=0.1)", "lrs.OneCycleLR(opt, max_lr=0.1, total_steps=10)", 0, 10, 0.1,
     ["--optimizer", "sgd", "--schedule", "OneCycleLR", "--set", "max_lr=0.1", "--set", "total_steps=10"]),
    ("adam-OneCycleLR", "optim.Adam(p, lr=0.1)", "lrs.OneCycleLR(opt, max_lr=0.1, total_steps=10)", 0, 10, 0.1,
     ["--optimizer", "adam", "--schedule", "OneCycleLR", "--set", "max_lr=0.1", "--set", "total_steps=10"]),
    ("adamw-OneCycleLR-three_phase-linear", "optim.AdamW(p, lr=0.1, weight_decay=0.1, betas=(0.8, 0.99))",
     "lrs.OneCycleLR(opt, max_lr=0.05, total_steps=16, three_phase=True, anneal_strategy='linear')", 0, 16, 0.1,
     ["--optimizer", "adamw", "--weight-decay", "0.1", "--betas", "0.8,0.99", "--schedule", "OneCycleLR",
      "--set", "max_lr=0.05", "--set", "total_steps=16", "--set", "three_phase=true",
      "--set", "anneal_strategy=linear"]),
    ("sgd-nesterov-OneCycleLR", "optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)",
     "lrs.OneCycleLR(opt, max_lr=0.1, total_steps=12, pct_start=0.25)", 2, 14, 0.1,
     ["--optimizer", "sgd", "--momentum", "0.9", "--nesterov", "--warmup", "2", "--schedule", "OneCycleLR",
      "--set", "max_lr=0.1", "--set", "total_steps=12", "--set", "pct_start=0.25"]),
    ("sgd-momentum-warmup", "optim.SGD(p, lr=0.1, momentum=0.9)", None, 5, 10, 0.1,
     ["--optimizer", "sgd", "--momentum", "0.9"]),
    ("sgd-nesterov-weight-decay", "optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01)",
     None, 3, 12, 0.05,
     ["--optimizer", "sgd", "--momentum", "0.8", "--nesterov", "--weight-decay", "0.01", "--base-lr", "0.05",
      "--warmup", "3", "--steps", "12"]),
    ("sgd-weight-decay", "optim.SGD(p, lr=0.1, weight_decay=0.5)", None, 5, 10, 0.1,
     ["--optimizer", "SGD", "--weight-decay", "0.5"]),
    ("adam-betas-weight-decay", "optim.Adam(p, lr=0.1, betas=(0.5, 0.9), weight_decay=0.01)", None, 5, 10, 0.1,
     ["--optimizer", "Adam", "--betas", "0.5,0.9", "--weight-decay", "0.01"]),
    ("adamw-default", "optim.AdamW(p, lr=0.1)", None, 5, 10, 0.1, ["--optimizer", "AdamW"]),
    ("adamw-cosine", "optim.AdamW(p, lr=0.01, weight_decay=0.2)",
     "transformers-cosine", 4, 20, 0.01,
     ["--optimizer", "adamw", "--weight-decay", "0.2", "--base-lr", "0.01", "--schedule", "cosine",
      "--warmup", "4", "--steps", "20"]),
]

ERRORS = [
    ("sgd-nesterov-without-momentum", "optim.SGD(p, lr=0.1, nesterov=True)",
     ["--optimizer", "sgd", "--nesterov"]),
    ("sgd-negative-momentum", "optim.SGD(p, lr=0.1, momentum=-0.1)",
     ["--optimizer", "sgd", "--momentum", "-0.1"]),
    ("sgd-negative-weight-decay", "optim.SGD(p, lr=0.1, weight_decay=-1.0)",
     ["--optimizer", "sgd", "--weight-decay", "-1"]),
    ("adam-beta1-too-large", "optim.Adam(p, lr=0.1, betas=(1.0, 0.999))",
     ["--optimizer", "adam", "--betas", "1.0,0.999"]),
    ("adam-beta2-negative", "optim.Adam(p, lr=0.1, betas=(0.9, -0.5))",
     ["--optimizer", "adam", "--betas", "0.9,-0.5"]),
    ("adamw-negative-weight-decay", "optim.AdamW(p, lr=0.1, weight_decay=-0.01)",
     ["--optimizer", "adamw", "--weight-decay", "-0.01"]),
]


def cosine(opt, w, n):
    # transformers' get_cosine_schedule_with_warmup, num_cycles=0.5
    def f(step):
        if step < w:
            return float(step) / float(max(1, w))
        progress = float(step - w) / float(max(1, n - w))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress)))
    return lrs.LambdaLR(opt, f)


def run(case, x, y, init):
    cid, make_opt, make_sched, w, steps, base_lr, args = case
    model = nn.Linear(10, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([init["weight"]], dtype=torch.float32))
        model.bias.copy_(torch.tensor([init["bias"]], dtype=torch.float32))
    p = model.parameters()
    opt = eval(make_opt)
    if make_sched is None:
        sched = warmup(opt, w)
    elif make_sched == "transformers-cosine":
        sched = cosine(opt, w, steps)
    else:
        sched = with_warmup(opt, w, lambda opt: eval(make_sched))
    criterion = nn.MSELoss()
    rows = []
    for step in range(steps):
        group = opt.param_groups[0]
        momentum = group["betas"][0] if "betas" in group else group["momentum"]
        loss = criterion(model(x), y)
        opt.zero_grad()
        loss.backward()
        rows.append({"step": step, "lr": group["lr"], "momentum": momentum, "loss": loss.item()})
        opt.step()
        sched.step()
    python = f"opt = {make_opt}; " + (
        f"sched = {make_sched}" if make_sched else f"sched = LambdaLR(opt, warmup {w})")
    if w and make_sched and make_sched != "transformers-cosine":
        python += f" behind SequentialLR([LambdaLR(warmup {w}), ...], milestones=[{w}])"
    return {
        "id": cid, "python": python, "args": full_args(args, w, steps, base_lr),
        "steps": steps, "rows": rows,
        "weight": model.weight.detach()[0].tolist(), "bias": model.bias.item(),
    }


def full_args(args, w, steps, base_lr):
    """The case's lrsched arguments with the run's warmup, steps and base lr made explicit
    (train's defaults are the demo's: --warmup 5 --steps 10 --base-lr 0.1)."""
    out = args + ["--torch-seed0"]
    for flag, value in (("--warmup", w), ("--steps", steps), ("--base-lr", base_lr)):
        if flag not in args:
            out += [flag, repr(value)]
    return out


def error(case):
    cid, make_opt, args = case
    model = nn.Linear(10, 1)
    p = model.parameters()
    try:
        eval(make_opt)
    except Exception as e:  # noqa: BLE001 - the message is the data
        return {"id": cid, "python": make_opt, "args": args + ["--torch-seed0"],
                "error": f"{type(e).__name__}: {e}"}
    raise SystemExit(f"{cid}: torch accepted {make_opt}")


def main():
    x, y, init = load()
    out = {
        "generated_by": {"torch": torch.__version__, "python": sys.version.split()[0],
                         "script": "tests/golden/scripts/train_optimizers.py"},
        "cases": [run(c, x, y, init) for c in CASES],
        "errors": [error(c) for c in ERRORS],
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
