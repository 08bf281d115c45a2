"""Golden values for @typegrad/optim computed by PyTorch 1.13 in float64.

Run: /usr/bin/python3 scripts/goldens/optim_goldens.py
(writes packages/optim/test/goldens/optim.golden.json; same bytes on every run).

Three sections, each a list of named cases that packages/optim/test/goldens.test.ts rebuilds
from the case's own description (option names in camelCase, as typegrad spells them):
  optimizers: a tiny float64 problem (params w [3,2] and b [2], loss = mean((x@w + b - t)^2)
              + 0.3 sum(sin(2w)) + 0.1 sum(b^3)); `groups` gives each param group's params
              and options, `defaults` the constructor options; `trajectory[k]` holds the
              flattened params after step k+1, `finalState` the optimizer state after the
              last step (tensors flattened, keyed by param index).
  schedulers: `lrs[k]` (and `momenta[k]` for OneCycleLR) per param group after construction
              (k = 0) and after each of the following scheduler steps. A scheduler spec is
              {type, args, options} (camelCase options); LambdaLR names its lambda from
              LAMBDAS; SequentialLR has `schedulers` and `milestones`; `chain` steps several
              schedulers on one optimizer.
  clip:       clip_grad_norm_ / clip_grad_value_ on fixed gradients: total norm and the
              clipped gradients.
Finite floats are JSON numbers (Python's repr: shortest exact round-trip); infinite norm types
are the string "inf".
"""
import json
import math
import os
import warnings

import torch

warnings.filterwarnings("ignore")
torch.set_default_dtype(torch.float64)
OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "optim", "test",
                        "goldens", "optim.golden.json")

# ---------------------------------------------------------------- the problem

PROBLEM = {
    "x": [[0.5, -1.2, 0.3], [1.1, 0.4, -0.7], [-0.6, 0.9, 1.3], [0.2, -0.3, 0.8]],
    "t": [[0.3, -0.5], [1.0, 0.2], [-0.4, 0.7], [0.6, -0.1]],
    "w": [[0.4, -0.3], [0.1, 0.7], [-0.5, 0.2]],
    "b": [0.15, -0.25],
}
STEPS = 6


def loss_fn(w, b):
    x = torch.tensor(PROBLEM["x"])
    t = torch.tensor(PROBLEM["t"])
    return ((x @ w + b - t) ** 2).mean() + 0.3 * torch.sin(2 * w).sum() + 0.1 * (b ** 3).sum()


def snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def py_options(options):
    return {snake(k): (tuple(v) if isinstance(v, list) else v) for k, v in options.items()}


OPTIMIZER_CASES = [
    ("sgd_plain", "SGD", {"lr": 0.1}, None),
    ("sgd_momentum", "SGD", {"lr": 0.1, "momentum": 0.9}, None),
    ("sgd_dampening", "SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}, None),
    ("sgd_nesterov", "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}, None),
    ("sgd_weight_decay", "SGD", {"lr": 0.1, "weightDecay": 0.05}, None),
    ("sgd_momentum_weight_decay", "SGD", {"lr": 0.1, "momentum": 0.5, "weightDecay": 0.05}, None),
    ("sgd_maximize", "SGD", {"lr": 0.05, "momentum": 0.9, "maximize": True, "weightDecay": 0.01}, None),
    ("adam_plain", "Adam", {"lr": 0.05}, None),
    ("adam_weight_decay", "Adam", {"lr": 0.05, "weightDecay": 0.1}, None),
    ("adam_amsgrad", "Adam", {"lr": 0.05, "amsgrad": True, "betas": [0.9, 0.5]}, None),
    ("adam_maximize", "Adam", {"lr": 0.05, "maximize": True, "weightDecay": 0.1}, None),
    ("adam_large_eps", "Adam", {"lr": 0.05, "eps": 0.1, "betas": [0.8, 0.9]}, None),
    ("adamw_plain", "AdamW", {"lr": 0.05}, None),
    ("adamw_amsgrad", "AdamW", {"lr": 0.05, "amsgrad": True, "betas": [0.9, 0.5], "weightDecay": 0.1}, None),
    ("adamw_maximize", "AdamW", {"lr": 0.05, "maximize": True}, None),
    ("sgd_two_groups", "SGD", {"lr": 0.1, "momentum": 0.9},
     [{"params": ["w"]}, {"params": ["b"], "lr": 0.01, "momentum": 0.5, "nesterov": True}]),
    ("adam_two_groups", "Adam", {"lr": 0.05},
     [{"params": ["w"], "weightDecay": 0.1}, {"params": ["b"], "lr": 0.01, "betas": [0.5, 0.9]}]),
    ("adamw_two_groups", "AdamW", {"lr": 0.05, "weightDecay": 0.2},
     [{"params": ["b"], "lr": 0.02}, {"params": ["w"], "amsgrad": True}]),
]


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def camel(name):
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def optimizer_case(name, kind, defaults, groups):
    w = torch.tensor(PROBLEM["w"], requires_grad=True)
    b = torch.tensor(PROBLEM["b"], requires_grad=True)
    named = {"w": w, "b": b}
    groups = groups or [{"params": ["w", "b"]}]
    torch_groups = [{**py_options({k: v for k, v in g.items() if k != "params"}),
                     "params": [named[p] for p in g["params"]]} for g in groups]
    opt = getattr(torch.optim, kind)(torch_groups, **py_options(defaults))
    trajectory = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss_fn(w, b).backward()
        opt.step()
        trajectory.append({"w": flat(w), "b": flat(b)})
    sd = opt.state_dict()
    final_state = {}
    for index, entry in sd["state"].items():
        final_state[str(index)] = {camel(k): (flat(v) if v.dim() > 0 else float(v)) if v is not None else None
                                   for k, v in entry.items()}
    return {"name": name, "optimizer": kind, "defaults": defaults, "groups": groups, "steps": STEPS,
            "trajectory": trajectory, "finalState": final_state}


# ---------------------------------------------------------------- schedulers

LAMBDAS = {
    "pow095": lambda e: 0.95 ** e,
    "inverse": lambda e: 1.0 / (e + 1),
    "warmup5": lambda e: min(1.0, (e + 1) / 5),
}

SCHED_STEPS = 30


def build_scheduler(opt, spec):
    kind = spec["type"]
    if kind == "SequentialLR":
        subs = [build_scheduler(opt, s) for s in spec["schedulers"]]
        return torch.optim.lr_scheduler.SequentialLR(opt, subs, spec["milestones"])
    args = list(spec.get("args", []))
    if kind == "LambdaLR":
        args = [[LAMBDAS[n] for n in args[0]] if isinstance(args[0], list) else LAMBDAS[args[0]]]
    return getattr(torch.optim.lr_scheduler, kind)(opt, *args, **py_options(spec.get("options", {})))


SCHEDULER_CASES = [
    ("step", "SGD", {"type": "StepLR", "args": [7], "options": {"gamma": 0.5}}),
    ("step_default_gamma", "SGD", {"type": "StepLR", "args": [4]}),
    ("multistep", "SGD", {"type": "MultiStepLR", "args": [[5, 12, 12, 20]], "options": {"gamma": 0.3}}),
    ("exponential", "SGD", {"type": "ExponentialLR", "args": [0.9]}),
    ("cosine", "SGD", {"type": "CosineAnnealingLR", "args": [10], "options": {"etaMin": 0.001}}),
    ("cosine_default", "SGD", {"type": "CosineAnnealingLR", "args": [7]}),
    ("lambda", "SGD", {"type": "LambdaLR", "args": ["pow095"]}),
    ("lambda_per_group", "SGD", {"type": "LambdaLR", "args": [["inverse", "warmup5"]]}),
    ("linear_default", "SGD", {"type": "LinearLR"}),
    ("linear_warmup", "SGD", {"type": "LinearLR", "options": {"startFactor": 0.25, "totalIters": 8}}),
    ("linear_decay", "SGD", {"type": "LinearLR", "options": {"startFactor": 1.0, "endFactor": 0.1, "totalIters": 10}}),
    ("sequential_warmup_cosine", "SGD", {
        "type": "SequentialLR",
        "schedulers": [{"type": "LinearLR", "options": {"startFactor": 0.1, "totalIters": 5}},
                       {"type": "CosineAnnealingLR", "args": [20]}],
        "milestones": [5]}),
    ("sequential_three", "SGD", {
        "type": "SequentialLR",
        "schedulers": [{"type": "LinearLR", "options": {"startFactor": 0.5, "totalIters": 4}},
                       {"type": "ExponentialLR", "args": [0.8]},
                       {"type": "StepLR", "args": [3], "options": {"gamma": 0.5}}],
        "milestones": [4, 10]}),
    ("sequential_lambda_multistep", "SGD", {
        "type": "SequentialLR",
        "schedulers": [{"type": "LambdaLR", "args": ["warmup5"]},
                       {"type": "MultiStepLR", "args": [[3, 8]], "options": {"gamma": 0.5}}],
        "milestones": [6]}),
    ("chain_step_exponential", "SGD", {"chain": [{"type": "StepLR", "args": [5], "options": {"gamma": 0.5}},
                                                 {"type": "ExponentialLR", "args": [0.95]}]}),
    ("onecycle_sgd", "SGD", {"type": "OneCycleLR", "args": [[1.0, 0.5]], "options": {"totalSteps": 30}}),
    ("onecycle_adam_linear", "Adam", {"type": "OneCycleLR", "args": [0.01],
                                      "options": {"epochs": 5, "stepsPerEpoch": 6, "annealStrategy": "linear",
                                                  "pctStart": 0.25}}),
    ("onecycle_three_phase", "AdamW", {"type": "OneCycleLR", "args": [0.02],
                                       "options": {"totalSteps": 30, "threePhase": True, "divFactor": 10.0,
                                                   "finalDivFactor": 100.0, "baseMomentum": [0.8, 0.7],
                                                   "maxMomentum": 0.9}}),
    ("onecycle_no_momentum", "SGD", {"type": "OneCycleLR", "args": [0.3],
                                     "options": {"totalSteps": 30, "cycleMomentum": False}}),
]
SCHED_OPTIMIZER = {
    "SGD": ({"lr": 0.1, "momentum": 0.9}, [{"lr": 0.1}, {"lr": 0.05}]),
    "Adam": ({"lr": 0.001}, [{"lr": 0.001}, {"lr": 0.002, "betas": [0.8, 0.99]}]),
    "AdamW": ({"lr": 0.001}, [{"lr": 0.001}, {"lr": 0.002}]),
}


def momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def scheduler_case(name, kind, spec):
    defaults, groups = SCHED_OPTIMIZER[kind]
    params = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    opt = getattr(torch.optim, kind)([{**py_options(g), "params": [p]} for g, p in zip(groups, params)],
                                     **py_options(defaults))
    scheds = [build_scheduler(opt, s) for s in spec["chain"]] if "chain" in spec else [build_scheduler(opt, spec)]
    lrs = [[float(v) for v in scheds[-1].get_last_lr()]]
    moms = [[float(v) for v in momenta(opt)]]
    for _ in range(SCHED_STEPS - 1):
        opt.step()
        for s in scheds:
            s.step()
        lrs.append([float(v) for v in scheds[-1].get_last_lr()])
        moms.append([float(v) for v in momenta(opt)])
        assert lrs[-1] == [g["lr"] for g in opt.param_groups]
    case = {"name": name, "optimizer": kind, "defaults": defaults, "groups": groups, "scheduler": spec, "lrs": lrs}
    if spec.get("type") == "OneCycleLR":
        case["momenta"] = moms
    return case


# ---------------------------------------------------------------- gradient clipping

GRADS = {
    "a": [[0.5, -1.5], [2.0, 0.25], [-0.75, 1.0]],
    "b": [3.0, -0.5, 0.125, -2.5],
}


def clip_params():
    a = torch.zeros(3, 2, requires_grad=True)
    b = torch.zeros(4, requires_grad=True)
    c = torch.zeros(2, requires_grad=True)  # no gradient: ignored
    a.grad = torch.tensor(GRADS["a"])
    b.grad = torch.tensor(GRADS["b"])
    return [a, b, c]


def clip_case(name, max_norm, norm_type):
    params = clip_params()
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    return {"name": name, "kind": "norm", "maxNorm": max_norm, "normType": "inf" if norm_type == math.inf else norm_type,
            "totalNorm": float(total), "grads": {"a": flat(params[0].grad), "b": flat(params[1].grad)}}


def clip_value_case(name, value):
    params = clip_params()
    torch.nn.utils.clip_grad_value_(params, value)
    return {"name": name, "kind": "value", "clipValue": value,
            "grads": {"a": flat(params[0].grad), "b": flat(params[1].grad)}}


CLIP_CASES = [
    clip_case("norm2_no_clip", 10.0, 2.0),
    clip_case("norm2_clip", 1.0, 2.0),
    clip_case("norm1_no_clip", 20.0, 1.0),
    clip_case("norm1_clip", 2.5, 1.0),
    clip_case("norm_inf_no_clip", 5.0, math.inf),
    clip_case("norm_inf_clip", 0.8, math.inf),
    clip_case("norm3_clip", 1.5, 3.0),
    clip_case("norm_half_clip", 3.0, 0.5),
    clip_value_case("value_0.6", 0.6),
    clip_value_case("value_2", 2.0),
]


def main():
    golden = {
        "torch": torch.__version__,
        "problem": {**PROBLEM, "steps": STEPS},
        "optimizers": [optimizer_case(*c) for c in OPTIMIZER_CASES],
        "lambdas": list(LAMBDAS),
        "schedulers": [scheduler_case(*c) for c in SCHEDULER_CASES],
        "clipGrads": GRADS,
        "clip": CLIP_CASES,
    }
    os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
    with open(OUT_PATH, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
