#!/usr/bin/env python3
"""Side-by-side speed of the Go training engine and a PyTorch reference.

Runs, on the same machine and in one run, the same two networks with the same
data shape in both engines and prints images/s and the Go/PyTorch ratio for
training (forward + BPTT backward + Adam step) and for inference (eval mode):

  (a) snn1-scb3: SNN_1 with SCB_k3 in every block, C = 16, T = 8
  (b) autosnn:   the searched AutoSNN net (SRB_k5, SRB_k5, skip, SRB_k3, SRB_k5)

both on 3x32x32 inputs, 10 classes, batch 32 (--batch), PLIF neurons with the
ATan surrogate, per-step BN, direct encoding, voting layer and MSE-on-rate
loss: the semantics of shared/spec/autosnn-reference.md sections 1-6.

The PyTorch side is float32 and is run in the two ways the reference
(SpikingJelly) can run on a CPU: step by step (every layer once per timestep,
as the AutoSNN code does) and layer by layer ("multi-step": a convolution sees
all T*N images at once, BN and PLIF loop over T); the faster of the two is
compared. The Go side is `go test -bench Engine` of search/engine/train (one process
per network), run with GOMAXPROCS equal to the PyTorch thread count (or
--go-threads). Peak resident memory of both processes is printed too.

The machines this runs on are shared and their speed drifts by 10% or more
within minutes, for both engines (not always by the same amount). So the
comparison is made in interleaved rounds (--rounds): each round measures
PyTorch and then Go on one network, the ratio is taken within the round, and
the median ratio over the rounds and its range are reported.

Usage, from the repository root (Debian package python3-torch):

  OMP_NUM_THREADS=2 /usr/bin/python3 search/engine/train/testdata/bench_torch.py
  OMP_NUM_THREADS=2 /usr/bin/python3 search/engine/train/testdata/bench_torch.py --rounds 5 --iters 3 --batch 32
"""

import argparse
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
T, C, HW, CLASSES = 8, 16, 32, 10
NETS = {
    "snn1-scb3": ["SCB_k3"] * 5,
    "autosnn": ["SRB_k5", "SRB_k5", "skip", "SRB_k3", "SRB_k5"],
}


class ATanSpike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + (math.pi * x).pow(2))  # alpha = 2


class PLIF(nn.Module):
    """H = V + k (X - V), k = sigmoid(w); S = H >= 1; V = H (1 - S.detach())."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(0.0))
        self.v = None

    def reset(self):
        self.v = None

    def step(self, x):
        k = self.w.sigmoid()
        h = x * k if self.v is None else self.v + (x - self.v) * k
        s = ATanSpike.apply(h - 1.0)
        self.v = h * (1.0 - s.detach())
        return s

    def seq(self, xs):  # xs [T, N, ...]
        self.reset()
        return torch.stack([self.step(xs[t]) for t in range(xs.shape[0])])


class ConvBN(nn.Module):
    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def step(self, x):
        return self.bn(self.conv(x))

    def seq(self, xs):  # conv on all T*N images, BN once per step (running stats updated T times)
        t, n = xs.shape[:2]
        y = self.conv(xs.flatten(0, 1))
        y = y.view(t, n, *y.shape[1:])
        return torch.stack([self.bn(y[i]) for i in range(t)])


class Block(nn.Module):
    def __init__(self, kind, cin, cout):
        super().__init__()
        self.kind = kind
        self.identity = kind == "skip" and cin == cout
        if self.identity:
            return
        k = {"skip": 1, "SCB_k3": 3, "SCB_k5": 5, "SRB_k3": 3, "SRB_k5": 5}[kind]
        self.c1, self.n1 = ConvBN(cin, cout, k, 1), PLIF()
        if kind == "skip":
            return
        self.c2, self.n2 = ConvBN(cout, cout, k, 1), PLIF()
        self.res = kind.startswith("SRB")
        self.short = ConvBN(cin, cout, 1, 1) if self.res and cin != cout else None

    def run(self, x, f, n):
        if self.identity:
            return x
        s = n(self.n1)(f(self.c1)(x))
        if self.kind == "skip":
            return s
        h = f(self.c2)(s)
        if self.res:
            h = h + (f(self.short)(x) if self.short is not None else x)
        return n(self.n2)(h)


class Net(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.stem, self.stem_n = ConvBN(3, C, 3, 1), PLIF()
        chans, cin, mods = [C, 2 * C, 2 * C, 4 * C, 4 * C], C, []
        for b, cout in zip(blocks, chans):
            mods.append(Block(b, cin, cout))
            cin = cout
        self.blocks = nn.ModuleList(mods)
        self.fc = nn.Linear(cin * (HW // 8) ** 2, 10 * CLASSES, bias=False)
        self.fc_n = PLIF()

    def plifs(self):
        return [m for m in self.modules() if isinstance(m, PLIF)]

    def forward_step(self, x):
        """Step by step: every layer once per timestep (the reference's mode)."""
        for p in self.plifs():
            p.reset()
        stem = self.stem.step(x)  # direct encoding: stem conv + BN once
        counter = 0
        f, n = (lambda m: m.step), (lambda m: m.step)
        for _ in range(T):
            s = self.stem_n.step(stem)
            s = self.blocks[0].run(s, f, n)
            s = F.max_pool2d(s, 2)
            s = self.blocks[2].run(self.blocks[1].run(s, f, n), f, n)
            s = F.max_pool2d(s, 2)
            s = self.blocks[4].run(self.blocks[3].run(s, f, n), f, n)
            s = F.max_pool2d(s, 2)
            s = self.fc_n.step(self.fc(s.flatten(1)))
            counter = counter + s.view(s.shape[0], CLASSES, 10).mean(2)
        return counter

    def forward_seq(self, x):
        """Layer by layer over [T, N, ...] (multi-step)."""
        stem = self.stem.step(x)
        s = self.stem_n.seq(stem.unsqueeze(0).expand(T, *stem.shape))
        f, n = (lambda m: m.seq), (lambda m: m.seq)
        pool = lambda s: F.max_pool2d(s.flatten(0, 1), 2).view(s.shape[0], s.shape[1], s.shape[2], s.shape[3] // 2, s.shape[4] // 2)
        s = pool(self.blocks[0].run(s, f, n))
        s = pool(self.blocks[2].run(self.blocks[1].run(s, f, n), f, n))
        s = pool(self.blocks[4].run(self.blocks[3].run(s, f, n), f, n))
        s = self.fc_n.seq(self.fc(s.flatten(2)))
        return s.view(T, s.shape[1], CLASSES, 10).mean(3).sum(0)


def bench_torch(blocks, mode, batch, iters):
    torch.manual_seed(1)
    net = Net(blocks)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(batch, 3, HW, HW)
    y = F.one_hot(torch.randint(0, CLASSES, (batch,)), CLASSES).float()
    fwd = net.forward_step if mode == "step" else net.forward_seq

    def train():
        net.train()
        opt.zero_grad()
        loss = F.mse_loss(fwd(x) / T, y)
        loss.backward()
        opt.step()

    def infer():
        net.eval()
        with torch.no_grad():
            fwd(x)

    out = {}
    for name, fn in (("train", train), ("infer", infer)):
        fn()  # warm up
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(iters):
            fn()
        out[name] = (batch * iters / (time.perf_counter() - t0), batch * iters / (time.process_time() - c0))
    return out


def build_go():
    """Compiles the search/engine/train test binary once into a temporary directory."""
    d = tempfile.mkdtemp(prefix="bench_torch_")
    exe = os.path.join(d, "train.test")
    subprocess.run(["go", "test", "-c", "-o", exe, "./search/engine/train/"], cwd=ROOT, check=True)
    return d, exe


def bench_go(exe, net, threads, batch, iters):
    """Runs BenchmarkEngine's train and infer cases of one network."""
    env = dict(os.environ, GOMAXPROCS=str(threads), AUTOSNN_BENCH_BATCH=str(batch))
    p = subprocess.run([exe, "-test.run", "^$", "-test.bench", f"Engine/{net}/(train|infer)$", "-test.benchtime", f"{iters}x"],
                       cwd=os.path.join(ROOT, "search", "train"), env=env, check=True, capture_output=True, text=True)
    res = {}
    for line in p.stdout.splitlines():
        m = re.match(r"BenchmarkEngine/([\w-]+)/(train|infer)\S*\s+\d+\s+(.*)", line)
        if not m:
            continue
        metrics = dict((unit, float(v)) for v, unit in re.findall(r"([\d.e+-]+) (\S+)", m.group(3)))
        res[m.group(2)] = metrics
    if not res:
        sys.exit("no benchmark lines in the Go output:\n" + p.stdout + p.stderr)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--iters", type=int, default=3, help="timed iterations per measurement")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (ratios are per round; the median is reported)")
    ap.add_argument("--modes", default="step,seq", help="PyTorch modes to try (best is compared)")
    ap.add_argument("--go-threads", type=int, default=0, help="GOMAXPROCS of the Go side (default: OMP_NUM_THREADS)")
    args = ap.parse_args()
    threads = int(os.environ.get("OMP_NUM_THREADS", "2"))
    go_threads = args.go_threads or threads
    torch.set_num_threads(threads)
    print(f"torch {torch.__version__}, {threads} threads (OMP_NUM_THREADS); Go GOMAXPROCS={go_threads}; "
          f"batch {args.batch}, T={T}, C={C}, {HW}x{HW}x3, {args.iters} timed iterations, {args.rounds} rounds")
    d, exe = build_go()
    rows = []  # (round, net, phase, torch wall, torch cpu, mode, go wall, go cpu, go rss)
    try:
        for r in range(1, args.rounds + 1):
            for net, blocks in NETS.items():
                best = {}
                for mode in args.modes.split(","):
                    for k, (v, vc) in bench_torch(blocks, mode, args.batch, args.iters).items():
                        if vc > best.get(k, (0, 0, ""))[1]:
                            best[k] = (v, vc, mode)
                go = bench_go(exe, net, go_threads, args.batch, args.iters)
                for k in ("train", "infer"):
                    tv, tc, mode = best[k]
                    g = go.get(k, {})
                    row = (r, net, k, tv, tc, mode, g.get("images/s", float("nan")),
                           g.get("images/cpu-s", float("nan")), g.get("peakRSS-MB", float("nan")))
                    rows.append(row)
                    print(f"  round {r} {net:10s} {k:5s} torch {tv:7.1f} images/s ({mode}), Go {row[6]:7.1f} images/s: "
                          f"{row[6] / tv:.2f}x wall, {row[7] / tc:.2f}x cpu", flush=True)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    torch_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print("Each round runs PyTorch and then Go on one network, so a ratio compares runs minutes apart at")
    print("most; the machine's speed drifts more than that between rounds. wall = images per second of")
    print("wall time; cpu = images per CPU-second of the process (all threads). Best PyTorch mode chosen")
    print("by cpu in each round. Columns are medians over the rounds; ranges are min-max of the ratios.")
    print(f"{'network':10s} {'phase':5s} {'torch wall':>10s} {'Go wall':>8s} {'ratio wall':>11s} {'range':>13s} "
          f"{'ratio cpu':>10s} {'range':>13s} {'Go peak RSS':>12s}")
    for net in NETS:
        for k in ("train", "infer"):
            rs = [x for x in rows if x[1] == net and x[2] == k]
            wall = [x[6] / x[3] for x in rs]
            cpu = [x[7] / x[4] for x in rs]
            print(f"{net:10s} {k:5s} {statistics.median([x[3] for x in rs]):10.1f} {statistics.median([x[6] for x in rs]):8.1f} "
                  f"{statistics.median(wall):10.2f}x {min(wall):6.2f}-{max(wall):.2f}x {statistics.median(cpu):9.2f}x "
                  f"{min(cpu):6.2f}-{max(cpu):.2f}x {max(x[8] for x in rs):9.0f} MB")
    print(f"\nPyTorch process peak RSS: {torch_rss:.0f} MB (all runs); Go peak RSS is the largest VmHWM of the "
          f"benchmark processes of that network (training runs before inference in each).")


if __name__ == "__main__":
    main()
