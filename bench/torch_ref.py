#!/usr/bin/env python3
"""PyTorch reference for the bench workloads (../shared/bench/WORKLOADS.md): W0, W1, W2, W3.

Run by `pnpm bench --with-torch` (one process per workload, with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE removed from the environment), or by hand:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/torch_ref.py [--only W1,W3]

Prints one JSON line per result (the same fields as the JavaScript systems' results) and, first,
one line describing the setup (torch version, BLAS library and kernel, threads). Float32, default
thread settings unless --threads is given; timing = median of the timed iterations after the
warm-ups, in this one process. Starting values come from the same seeded generator as the
JavaScript systems' (bench/src/systems/init.ts), so the check values (W0/W2: sum(out * G) of
the first iteration; W3: the first three losses) can be compared across systems.
"""
import argparse
import ctypes
import json
import math
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

M32 = 0xFFFFFFFF
TWO32 = 4294967296.0


# ---- the shared, counter-based generator (bench/src/systems/init.ts) ----

def hash32(x):
    """lowbias32 on a uint64 array holding 32-bit values."""
    x = x ^ (x >> np.uint64(16))
    x = (x * np.uint64(0x7FEB352D)) & np.uint64(M32)
    x = x ^ (x >> np.uint64(15))
    x = (x * np.uint64(0x846CA68B)) & np.uint64(M32)
    x = x ^ (x >> np.uint64(16))
    return x


def seed_base(seed):
    return int(hash32(np.array([(seed * 0x9E3779B1) & M32], dtype=np.uint64))[0])


def normal_values(seed, size, mean=0.0, std=1.0):
    base = seed_base(seed)
    i = np.arange(size, dtype=np.uint64)
    h1 = hash32((np.uint64(base) + np.uint64(2) * i) & np.uint64(M32)).astype(np.float64)
    h2 = hash32((np.uint64(base) + np.uint64(2) * i + np.uint64(1)) & np.uint64(M32)).astype(np.float64)
    u1 = (h1 + 0.5) / TWO32
    u2 = (h2 + 0.5) / TWO32
    return (mean + std * np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * math.pi * u2)).astype(np.float32)


def int_values(seed, size, high):
    base = seed_base(seed)
    i = np.arange(size, dtype=np.uint64)
    h = hash32((np.uint64(base) + i) & np.uint64(M32)).astype(np.float64)
    return np.floor((h / TWO32) * high).astype(np.int64)


def init_tensor(spec):
    name, shape, kind, std, seed = spec
    size = int(np.prod(shape))
    if kind == "ones":
        return torch.ones(shape)
    if kind == "zeros":
        return torch.zeros(shape)
    return torch.from_numpy(normal_values(seed, size, 0.0, std).reshape(shape))


W0_SIZE = dict(batch=1, tokens=8, embed=32, heads=2)
W2_SIZE = dict(batch=8, tokens=128, embed=256, heads=8)
W3 = dict(vocab=65, context=64, d=128, heads=4, layers=2, batch=16, lr=3e-4, weight_decay=0.01)


def attention_specs(size):
    E = size["embed"]
    act = [size["batch"], size["tokens"], E]
    params = [
        ("in_proj_weight", [3 * E, E], "normal", 0.02, 1),
        ("in_proj_bias", [3 * E], "zeros", 0.0, 0),
        ("out_proj.weight", [E, E], "normal", 0.02, 2),
        ("out_proj.bias", [E], "zeros", 0.0, 0),
    ]
    return params, ("x", act, "normal", 1.0, 3), ("G", act, "normal", 1.0, 4)


def gpt_specs():
    V, T, d = W3["vocab"], W3["context"], W3["d"]
    specs = []

    def add(name, shape, kind="normal"):
        specs.append((name, shape, kind, 0.02 if kind == "normal" else 0.0, 10 + len(specs)))

    add("token_embedding.weight", [V, d])
    add("position_embedding.weight", [T, d])
    for l in range(W3["layers"]):
        p = f"blocks.{l}."
        add(p + "ln1.weight", [d], "ones")
        add(p + "ln1.bias", [d], "zeros")
        add(p + "attn.in_proj_weight", [3 * d, d])
        add(p + "attn.in_proj_bias", [3 * d], "zeros")
        add(p + "attn.out_proj.weight", [d, d])
        add(p + "attn.out_proj.bias", [d], "zeros")
        add(p + "ln2.weight", [d], "ones")
        add(p + "ln2.bias", [d], "zeros")
        add(p + "fc1.weight", [4 * d, d])
        add(p + "fc1.bias", [4 * d])
        add(p + "fc2.weight", [d, 4 * d])
        add(p + "fc2.bias", [d])
    add("ln_final.weight", [d], "ones")
    add("ln_final.bias", [d], "zeros")
    add("head.weight", [V, d])
    add("head.bias", [V])
    return specs


def load(module, specs):
    module.load_state_dict({s[0]: init_tensor(s) for s in specs}, strict=True)


# ---- models ----

class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x, mask):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class TinyGPT(nn.Module):
    def __init__(self):
        super().__init__()
        V, T, d = W3["vocab"], W3["context"], W3["d"]
        self.token_embedding = nn.Embedding(V, d)
        self.position_embedding = nn.Embedding(T, d)
        self.blocks = nn.ModuleList([Block(d, W3["heads"]) for _ in range(W3["layers"])])
        self.ln_final = nn.LayerNorm(d)
        self.head = nn.Linear(d, V)
        self.register_buffer("mask", torch.triu(torch.ones(T, T, dtype=torch.bool), 1), persistent=False)
        self.register_buffer("positions", torch.arange(T), persistent=False)

    def forward(self, tokens):
        x = self.token_embedding(tokens) + self.position_embedding(self.positions[: tokens.shape[1]])
        for block in self.blocks:
            x = block(x, self.mask)
        return self.head(self.ln_final(x))


# ---- timing ----

def measure(run, warmup, iterations, budget_ms):
    """As bench/src/timing.ts's measure: warm-ups, then the timed runs, both cut by the budget."""
    last = 0.0
    warmed = 0
    warm_total = 0.0
    while warmed < warmup and not (budget_ms is not None and warmed >= 1 and warm_total >= budget_ms / 2):
        t0 = time.perf_counter()
        run()
        last = (time.perf_counter() - t0) * 1000
        warm_total += last
        warmed += 1
    requested = iterations
    if budget_ms is not None and last * iterations > budget_ms:
        iterations = max(3, min(iterations, int(budget_ms // last)))
    samples = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        run()
        samples.append((time.perf_counter() - t0) * 1000)
    s = sorted(samples)
    mid = len(s) // 2
    median = s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
    return dict(medianMs=median, minMs=s[0], maxMs=s[-1], warmup=warmed, warmupRequested=warmup, iterations=iterations,
                iterationsRequested=requested, samplesMs=samples)


def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# ---- setup description ----

def blas_info():
    """Which BLAS library this process mapped, and OpenBLAS's kernel and threads if it is OpenBLAS."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            base = os.path.basename(path)
            if any(k in base for k in ("blas", "lapack", "mkl", "gomp")):
                libs.add(os.path.realpath(path))
    info = {"mapped": sorted(libs)}
    for path in sorted(libs):
        if "openblas" in os.path.basename(path) or "openblas" in path:
            try:
                lib = ctypes.CDLL(path)
                lib.openblas_get_config.restype = ctypes.c_char_p
                lib.openblas_get_corename.restype = ctypes.c_char_p
                info["openblas"] = {
                    "library": path,
                    "config": lib.openblas_get_config().decode(),
                    "core": lib.openblas_get_corename().decode(),
                    "threads": lib.openblas_get_num_threads(),
                }
                break
            except (OSError, AttributeError):
                continue
    return info


def describe():
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))  # make sure the BLAS is loaded
    blas = blas_info()
    ob = blas.get("openblas")
    blas_text = f"OpenBLAS {ob['config'].split()[1]} core {ob['core']}, {ob['threads']} BLAS threads" if ob else "BLAS: " + ", ".join(blas["mapped"])
    return {
        "setup": True,
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "threads": torch.get_num_threads(),
        "interopThreads": torch.get_num_interop_threads(),
        "capability": next((l.split(":", 1)[1].strip() for l in torch.__config__.show().splitlines() if "CPU capability usage" in l), None),
        "blas": blas,
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
        "detail": f"PyTorch {torch.__version__} CPU, {blas_text}",
    }


# ---- workloads ----

def run_attention(workload, counts, budget_ms):
    size = W0_SIZE if workload == "W0" else W2_SIZE
    params, xs, gs = attention_specs(size)
    mha = nn.MultiheadAttention(size["embed"], size["heads"], batch_first=True)
    load(mha, params)
    x = init_tensor(xs).requires_grad_(True)
    g = init_tensor(gs)
    T = size["tokens"]
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)

    def step():
        mha.zero_grad(set_to_none=True)
        x.grad = None
        out = mha(x, x, x, attn_mask=mask, need_weights=False)[0]
        loss = (out * g).sum()
        loss.backward()
        return loss

    first = step().item()
    t = measure(step, counts["warmup"], counts["iterations"], budget_ms)
    label = "W0 MHA B1 T8 E32 H2" if workload == "W0" else "W2 MHA B8 T128 E256 H8"
    return [dict(workload=workload, label=label, check=[first], **t)]


def run_w1(sizes, counts_list, budget_ms):
    out = []
    for n, counts in zip(sizes, counts_list):
        a = torch.from_numpy(normal_values(200 + n, n * n).reshape(n, n))
        b = torch.from_numpy(normal_values(300 + n, n * n).reshape(n, n))
        t = measure(lambda: a @ b, counts["warmup"], counts["iterations"], budget_ms)
        out.append(dict(workload="W1", label=f"W1 n={n}", n=n, gflops=2 * n**3 / (t["medianMs"] * 1e6), **t))
    return out


def gpt_setup():
    model = TinyGPT()
    load(model, gpt_specs())
    opt = torch.optim.AdamW(model.parameters(), lr=W3["lr"], weight_decay=W3["weight_decay"])
    B, T, V = W3["batch"], W3["context"], W3["vocab"]
    tokens = torch.from_numpy(int_values(100, B * T, V).reshape(B, T))
    targets = torch.from_numpy(int_values(101, B * T, V))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(tokens).reshape(-1, V), targets)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def run_w3(counts, budget_ms):
    step = gpt_setup()
    check = []

    def timed():
        loss = step()
        if len(check) < 3:
            check.append(loss)

    t = measure(timed, counts["warmup"], counts["iterations"], budget_ms)
    tps = W3["batch"] * W3["context"] / (t["medianMs"] / 1000)
    return [dict(workload="W3", label="W3 tiny GPT train step", tokensPerSecond=tps, check=check, **t)]


def rss_check(steps, reference):
    step = gpt_setup()
    marks = {1, 10, reference, steps} | set(range(100, steps, 100))
    rss = {}
    loss = 0.0
    for i in range(1, steps + 1):
        loss = step()
        if i in marks:
            rss[str(i)] = rss_mib()
            if i % 100 == 0:
                print(f"[rss torch] step {i}/{steps}: RSS {rss[str(i)]:.1f} MiB", file=sys.stderr, flush=True)
    growth = (rss[str(steps)] - rss[str(reference)]) / rss[str(reference)]
    return dict(system="torch", steps=steps, rssMiB=rss, referenceStep=reference, reference=rss[str(reference)], final=rss[str(steps)],
                growth=growth, **{"pass": abs(growth) <= 0.1}, note=f"final loss {loss:.4f}")


DEFAULT_COUNTS = {"W0": (2000, 2000), "W2": (3, 20), "W3": (3, 20)}
W1_COUNTS = {128: (10, 200), 256: (5, 50), 512: (3, 20), 1024: (3, 10)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="W0,W1,W2,W3")
    ap.add_argument("--sizes", default="128,256,512,1024")
    ap.add_argument("--plan", help="JSON plan from `pnpm bench` (workload, sizes, counts, budgetMs)")
    ap.add_argument("--iterations", type=int)
    ap.add_argument("--warmup", type=int)
    ap.add_argument("--threads", type=int, help="torch.set_num_threads (default: PyTorch's default)")
    ap.add_argument("--rss-check", type=int, metavar="STEPS", help="run STEPS W3 steps and report RSS")
    ap.add_argument("--rss-reference", type=int, default=50)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    setup = describe()
    print(json.dumps(setup), flush=True)
    base = dict(system="torch", detail=setup["detail"], threads=setup["threads"])

    if args.rss_check:
        print(json.dumps(rss_check(args.rss_check, args.rss_reference)), flush=True)
        return

    if args.plan:
        plan = json.loads(args.plan)
        jobs = [(plan["workload"], plan["sizes"], plan["counts"], plan["budgetMs"])]
    else:
        jobs = []
        sizes = [int(s) for s in args.sizes.split(",")]
        for w in args.only.upper().split(","):
            if w == "W1":
                counts = [dict(warmup=args.warmup or W1_COUNTS.get(n, (3, 10))[0], iterations=args.iterations or W1_COUNTS.get(n, (3, 10))[1]) for n in sizes]
            else:
                counts = [dict(warmup=args.warmup or DEFAULT_COUNTS[w][0], iterations=args.iterations or DEFAULT_COUNTS[w][1])]
            jobs.append((w, sizes, counts, None))

    for workload, sizes, counts, budget_ms in jobs:
        start = rss_mib()
        if workload == "W1":
            results = run_w1(sizes, counts, budget_ms)
        elif workload == "W3":
            results = run_w3(counts[0], budget_ms)
        else:
            results = run_attention(workload, counts[0], budget_ms)
        peak = peak_rss_mib()
        for r in results:
            print(json.dumps({**base, **r, "peakRssMiB": peak, "startRssMiB": start}), flush=True)


if __name__ == "__main__":
    main()
