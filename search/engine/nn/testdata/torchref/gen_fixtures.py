#!/usr/bin/env python3
"""Golden parity fixtures for the autosnn SNN training engine.

This script is the PyTorch reference of the semantics in
shared/spec/autosnn-reference.md sections 1-6, written from that spec (no
SpikingJelly code). It writes

  search/engine/nn/testdata/*.fix.gz      per-layer fixtures (T = 4)
  search/engine/train/testdata/*.fix.gz   whole-network fixtures (C = 4, 3x16x16, T = 4, batch 2)

in the "SNNFIX01" container described in search/engine/train/testdata/README.md.
CI never runs this script; it only reads the committed fixtures.

Run (Debian package python3-torch):
  OMP_NUM_THREADS=2 /usr/bin/python3 search/engine/nn/testdata/torchref/gen_fixtures.py
from the repository root.

Two options serve accuracy studies of the Go engine and write nothing that
is committed:
  --variants N --out DIR  writes every network again with N other seeds
                          (NAME_v1 .. NAME_vN) into DIR, for
                          AUTOSNN_PARITY_FIXTURES of search/engine/train's parity test;
  --float32-error         runs every network (and its --variants) in float64
                          and in float32 from the same inputs and prints
                          PyTorch float32's own max-norm relative error, the
                          three worst tensors of each network.
"""

import argparse
import gzip
import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

T = 4
# The reference computes in float64 from float32-representable inputs and
# weights: the fixtures then hold the exact result (rounded to float32 when
# written), and a Go float32 implementation is measured against the truth
# rather than against PyTorch's own float32 rounding (which alone is ~6e-5
# relative on ill-conditioned sums such as a PLIF w gradient).
DTYPE = torch.float64
VTH = 1.0
ALPHA = 2.0
# Fixtures are rejected (and the seed advanced) when any membrane potential H
# lies within MARGIN of the threshold: float summation order differs between
# PyTorch's convolution and Go's, and a spike must not flip because of that.
MARGIN = 2e-3
# Whole networks have ~10^5 neuron-steps; a smaller margin (still ~100x the
# float32 rounding of a 3x3x16 convolution after BatchNorm) keeps seeds findable.
NET_MARGIN = 5e-5

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
NN_DIR = os.path.join(ROOT, "search", "nn", "testdata")
NET_DIR = os.path.join(ROOT, "search", "train", "testdata")


# ---------------------------------------------------------------- container


class Fixture:
    """Collects float32 tensors, float scalars and integers, then writes
    gzip( b"SNNFIX01" | u32le header length | JSON header | f32le data )."""

    def __init__(self, name, meta=None):
        self.name = name
        self.meta = meta or {}
        self.tensors = []  # (name, shape, flat list)
        self.scalars = {}
        self.ints = {}
        self.offset = 0
        self.chunks = []

    def t(self, name, x):
        x = x.detach().to(torch.float32).contiguous()
        self.tensors.append({"name": name, "shape": list(x.shape), "offset": self.offset})
        flat = x.reshape(-1).tolist()
        self.offset += len(flat)
        self.chunks.append(struct.pack("<%df" % len(flat), *flat))

    def s(self, name, v):
        self.scalars[name] = float(v)

    def i(self, name, v):
        self.ints[name] = v

    def write(self, directory):
        header = {
            "name": self.name,
            "meta": self.meta,
            "tensors": self.tensors,
            "scalars": self.scalars,
            "ints": self.ints,
        }
        hb = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
        raw = b"SNNFIX01" + struct.pack("<I", len(hb)) + hb + b"".join(self.chunks)
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, self.name + ".fix.gz")
        with open(path, "wb") as f:
            # mtime=0 keeps the file byte-identical between runs.
            with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, compresslevel=9) as g:
                g.write(raw)
        print("wrote", os.path.relpath(path, ROOT), os.path.getsize(path), "bytes")


# ---------------------------------------------------------------- neurons


class ATanSpike(torch.autograd.Function):
    """Heaviside step (x >= 0 fires) with the ATan surrogate gradient."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return ALPHA / 2 / (1 + (math.pi / 2 * ALPHA * x).pow(2)) * g


class Neuron(nn.Module):
    """Single-step neuron with state; kind in plif, lif, if.

    H = V + k (X - V) (plif: k = sigmoid(w); lif: k = 1/tau), H = V + X (if);
    S = H >= 1; V = H (1 - S.detach()).
    """

    def __init__(self, kind="plif", tau=2.0, w=None):
        super().__init__()
        self.kind = kind
        self.tau = tau
        # sum |dL/dH (X - V[t-1])| over the neurons and steps of the
        # backward passes since it was last set to 0 (plif only; see wcond).
        self.wabs = 0.0
        if kind == "plif":
            w0 = -math.log(tau - 1.0) if w is None else w
            self.w = nn.Parameter(torch.tensor(w0, dtype=torch.float32))
        self.reset()

    def reset(self):
        self.v = 0.0
        self.spikes = 0.0
        self.min_margin = float("inf")

    def forward(self, x):
        if self.kind == "plif":
            h = self.v + (x - self.v) * self.w.sigmoid()
            if h.requires_grad:
                d = (x - self.v).detach()
                h.register_hook(lambda g, d=d: self._add_wabs(g, d))
        elif self.kind == "lif":
            h = self.v + (x - self.v) * (1.0 / self.tau)
        else:
            h = self.v + x
        self.min_margin = min(self.min_margin, (h.detach() - VTH).abs().min().item())
        s = ATanSpike.apply(h - VTH)
        self.v = h * (1.0 - s.detach())
        self.spikes += s.detach().sum().item()
        return s


    def _add_wabs(self, g, d):
        self.wabs += (g * d).abs().sum().item()

    def wcond(self):
        """The scale of dL/dw's rounding error: k(1-k) times the sum of the
        absolute values of its terms (dL/dw = k(1-k) sum dL/dH (X - V[t-1]))."""
        k = self.w.detach().double().sigmoid().item()
        return k * (1 - k) * self.wabs


def neurons(module):
    return [m for m in module.modules() if isinstance(m, Neuron)]


# ---------------------------------------------------------------- helpers


def kaiming(shape, gen):
    """PyTorch default conv/linear init: kaiming_uniform(a=sqrt(5)) -> U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    fan_in = 1
    for d in shape[1:]:
        fan_in *= d
    b = 1.0 / math.sqrt(fan_in)
    return ((torch.rand(shape, generator=gen) * 2 - 1) * b).to(DTYPE)


def randn(shape, gen, scale=1.0, shift=0.0):
    return (torch.randn(shape, generator=gen) * scale + shift).to(DTYPE)


def per_step(fn, x):
    """Apply a single-step module to each timestep of x [T, ...]."""
    return torch.stack([fn(x[t]) for t in range(x.shape[0])])


# ---------------------------------------------------------------- layer fixtures


def fix_conv(name, cin, cout, k, stride, pad, hw, seed):
    g = torch.Generator().manual_seed(seed)
    x = randn((T, 2, cin, hw, hw), g).requires_grad_()
    w = kaiming((cout, cin, k, k), g).requires_grad_()
    y = F.conv2d(x.reshape(T * 2, cin, hw, hw), w, stride=stride, padding=pad)
    y = y.reshape(T, 2, *y.shape[1:])
    dy = randn(y.shape, g)
    (y * dy).sum().backward()
    f = Fixture(name, {"layer": "conv2d", "cin": cin, "cout": cout, "k": k, "stride": stride, "pad": pad})
    f.t("x", x); f.t("weight", w); f.t("y", y); f.t("dy", dy); f.t("dx", x.grad); f.t("dweight", w.grad)
    f.write(NN_DIR)


def fix_linear(seed):
    g = torch.Generator().manual_seed(seed)
    x = randn((T, 2, 12), g).requires_grad_()
    w = kaiming((20, 12), g).requires_grad_()
    y = F.linear(x, w)
    dy = randn(y.shape, g)
    (y * dy).sum().backward()
    f = Fixture("linear", {"layer": "linear", "in": 12, "out": 20})
    f.t("x", x); f.t("weight", w); f.t("y", y); f.t("dy", dy); f.t("dx", x.grad); f.t("dweight", w.grad)
    f.write(NN_DIR)


def fix_bn(name, shape, train, steps, seed):
    """BatchNorm called once per timestep (steps = T) or once (stem, steps = 1)."""
    g = torch.Generator().manual_seed(seed)
    c = shape[1]
    bn = (nn.BatchNorm2d(c) if len(shape) == 4 else nn.BatchNorm1d(c)).to(DTYPE)
    with torch.no_grad():
        bn.weight.copy_(randn((c,), g, 0.5, 1.0))
        bn.bias.copy_(randn((c,), g, 0.5))
        bn.running_mean.copy_(randn((c,), g, 0.3))
        bn.running_var.copy_(torch.rand((c,), generator=g).to(DTYPE) + 0.5)
    f = Fixture(name, {"layer": "batchnorm", "train": train, "steps": steps, "momentum": 0.1, "eps": 1e-5})
    f.t("weight", bn.weight); f.t("bias", bn.bias)
    f.t("running_mean0", bn.running_mean); f.t("running_var0", bn.running_var)
    bn.train(train)
    x = randn((steps,) + tuple(shape), g, 2.0, 0.7).requires_grad_()
    y = per_step(bn, x)
    dy = randn(y.shape, g)
    (y * dy).sum().backward()
    f.t("x", x); f.t("y", y); f.t("dy", dy); f.t("dx", x.grad)
    f.t("dweight", bn.weight.grad); f.t("dbias", bn.bias.grad)
    f.t("running_mean", bn.running_mean); f.t("running_var", bn.running_var)
    f.write(NN_DIR)


def fix_neuron(name, kind, seed, static=False, w=0.3, binary_dy=False, reg_beta=None):
    """Neuron over T steps. static: the same input x[0] is fed at every step
    (direct encoding) and dx is the gradient w.r.t. that single input."""
    for attempt in range(100):
        g = torch.Generator().manual_seed(seed + 1000 * attempt)
        shape = (2, 3, 4, 4)
        neuron = Neuron(kind, tau=2.0, w=w if kind == "plif" else None).to(DTYPE)
        if static:
            x = randn((1,) + shape, g, 1.0, 0.6).requires_grad_()
            xs = x.expand((T,) + shape)
        else:
            x = randn((T,) + shape, g, 1.0, 0.6).requires_grad_()
            xs = x
        s = per_step(neuron, xs)
        if neuron.min_margin > MARGIN:
            break
    dy = randn(s.shape, g)
    loss = (s * dy).sum()
    if reg_beta is not None:
        # Spike regularisation: beta * (spikes of this layer per image).
        reg = reg_beta * s.sum() / shape[0]
        loss = loss + reg
    loss.backward()
    meta = {"layer": kind, "static": static, "tau": 2.0, "vth": VTH, "alpha": ALPHA}
    if reg_beta is not None:
        meta["reg_beta"] = reg_beta
    f = Fixture(name, meta)
    f.t("x", x); f.t("y", s); f.t("dy", dy); f.t("dx", x.grad)
    if kind == "plif":
        f.t("w", neuron.w.reshape(1)); f.t("dw", neuron.w.grad.reshape(1))
    if reg_beta is not None:
        f.s("reg", reg.item())
    f.i("spikes", int(s.sum().item()))
    f.s("min_margin", neuron.min_margin)
    f.write(NN_DIR)


def fix_relu(seed):
    g = torch.Generator().manual_seed(seed)
    x = randn((1, 2, 3, 4, 4), g).requires_grad_()
    y = F.relu(x)
    dy = randn(y.shape, g)
    (y * dy).sum().backward()
    f = Fixture("relu", {"layer": "relu"})
    f.t("x", x); f.t("y", y); f.t("dy", dy); f.t("dx", x.grad)
    f.write(NN_DIR)


def fix_pool(name, kind, k, stride, binary, seed, hw=6):
    g = torch.Generator().manual_seed(seed)
    shape = (T, 2, 3, hw, hw)
    if binary:
        x = (torch.rand(shape, generator=g) < 0.3).to(DTYPE).requires_grad_()
    else:
        x = randn(shape, g).requires_grad_()
    xf = x.reshape(T * 2, 3, hw, hw)
    if kind == "max":
        y = F.max_pool2d(xf, k, stride)
    elif kind == "avg":
        y = F.avg_pool2d(xf, k, stride)
    else:
        y = xf.mean(dim=(2, 3))
    y = y.reshape(T, 2, *y.shape[1:])
    dy = randn(y.shape, g)
    (y * dy).sum().backward()
    f = Fixture(name, {"layer": kind + "pool", "k": k, "stride": stride, "binary": binary})
    f.t("x", x); f.t("y", y); f.t("dy", dy); f.t("dx", x.grad)
    if binary:
        f.i("spikes", int(y.sum().item()))
    f.write(NN_DIR)


def vote(x):
    """Voting layer: mean of contiguous groups of 10 -> [.., classes]."""
    return x.reshape(*x.shape[:-1], x.shape[-1] // 10, 10).mean(-1)


def fix_vote_mse(seed):
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand((T, 3, 30), generator=g) < 0.4).to(DTYPE).requires_grad_()
    labels = torch.tensor([2, 0, 1])
    v = vote(x)
    counter = v.sum(0)
    loss = F.mse_loss(counter / T, F.one_hot(labels, 3).to(DTYPE))
    loss.backward()
    f = Fixture("vote_mse", {"layer": "vote+mse", "classes": 3})
    f.t("x", x); f.t("vote", v); f.t("counter", counter); f.t("dx", x.grad)
    f.s("loss", loss.item())
    f.i("labels", labels.tolist()); f.i("pred", counter.argmax(1).tolist())
    f.write(NN_DIR)


def fix_ce(seed):
    g = torch.Generator().manual_seed(seed)
    x = randn((1, 3, 5), g, 2.0).requires_grad_()
    labels = torch.tensor([4, 0, 2])
    loss = F.cross_entropy(x[0], labels)
    loss.backward()
    f = Fixture("cross_entropy", {"layer": "cross_entropy", "classes": 5})
    f.t("x", x); f.t("dx", x.grad)
    f.s("loss", loss.item())
    f.i("labels", labels.tolist())
    f.write(NN_DIR)


def fix_adam(seed):
    g = torch.Generator().manual_seed(seed)
    p1 = nn.Parameter(randn((3, 4), g))
    p2 = nn.Parameter(randn((5,), g))
    f = Fixture("adam", {"layer": "adam", "lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "steps": 3})
    f.t("p1.init", p1); f.t("p2.init", p2)
    opt = torch.optim.Adam([p1, p2], lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    for step in range(3):
        g1 = randn((3, 4), g, 1.0 + step)
        g2 = randn((5,), g, 0.01)
        p1.grad = g1.clone(); p2.grad = g2.clone()
        opt.step()
        f.t("p1.grad%d" % step, g1); f.t("p2.grad%d" % step, g2)
        f.t("p1.after%d" % step, p1); f.t("p2.after%d" % step, p2)
    st1 = opt.state[p1]; st2 = opt.state[p2]
    f.t("p1.exp_avg", st1["exp_avg"]); f.t("p1.exp_avg_sq", st1["exp_avg_sq"])
    f.t("p2.exp_avg", st2["exp_avg"]); f.t("p2.exp_avg_sq", st2["exp_avg_sq"])
    f.i("step", int(st1["step"].item()))
    f.write(NN_DIR)


# ---------------------------------------------------------------- networks


class Block(nn.Module):
    """Candidate blocks of spec section 5. Parameter names:
    conv1.weight bn1.* plif1.w conv2.weight bn2.* plif2.w shortcut.conv.weight shortcut.bn.*"""

    def __init__(self, kind, cin, cout, stride, gen):
        super().__init__()
        self.kind = kind
        self.identity = kind == "skip" and cin == cout and stride == 1
        if self.identity:
            return
        k = {"skip": 1, "SCB_k3": 3, "SCB_k5": 5, "SRB_k3": 3, "SRB_k5": 5}[kind]
        self.conv1 = nn.Module(); self.conv1.weight = nn.Parameter(kaiming((cout, cin, k, k), gen))
        self.bn1 = nn.BatchNorm2d(cout)
        self.plif1 = Neuron()
        self.k, self.stride = k, stride
        if kind == "skip":
            return
        self.conv2 = nn.Module(); self.conv2.weight = nn.Parameter(kaiming((cout, cout, k, k), gen))
        self.bn2 = nn.BatchNorm2d(cout)
        self.plif2 = Neuron()
        self.res = kind.startswith("SRB")
        self.short = self.res and not (cin == cout and stride == 1)
        if self.short:
            self.shortcut = nn.Module()
            self.shortcut.conv = nn.Module()
            self.shortcut.conv.weight = nn.Parameter(kaiming((cout, cin, 1, 1), gen))
            self.shortcut.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        if self.identity:
            return x
        h = self.bn1(F.conv2d(x, self.conv1.weight, stride=self.stride, padding=self.k // 2))
        s = self.plif1(h)
        if self.kind == "skip":
            return s
        h = self.bn2(F.conv2d(s, self.conv2.weight, stride=1, padding=self.k // 2))
        if self.res:
            if self.short:
                h = h + self.shortcut.bn(F.conv2d(x, self.shortcut.conv.weight, stride=self.stride))
            else:
                h = h + x
        return self.plif2(h)


class Pool(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        if kind == "avg":
            self.plif = Neuron()
        self.spikes = 0.0

    def forward(self, x):
        if self.kind == "max":
            y = F.max_pool2d(x, 2, 2)
            self.spikes += y.detach().sum().item()
            return y
        return self.plif(F.avg_pool2d(x, 2, 2))


class Net(nn.Module):
    """macro: SNN_1 | SNN_2 | SNN_3 | SNN_4; blocks: list of block names."""

    def __init__(self, macro, blocks, C, classes, hw, gen):
        super().__init__()
        self.macro = macro
        self.stem = nn.Module()
        self.stem.conv = nn.Module(); self.stem.conv.weight = nn.Parameter(kaiming((C, 3, 3, 3), gen))
        self.stem.bn = nn.BatchNorm2d(C)
        self.stem.plif = Neuron()
        if macro == "SNN_3":
            chans = [C, 2 * C, 2 * C, 2 * C, 4 * C, 4 * C, 4 * C, 8 * C]
            strides = [1, 2, 1, 1, 2, 1, 1, 2]
        else:
            chans = [C, 2 * C, 2 * C, 4 * C, 4 * C]
            strides = [1] * 5
        assert len(blocks) == len(chans)
        mods, cin = [], C
        for b, cout, st in zip(blocks, chans, strides):
            mods.append(Block(b, cin, cout, st, gen))
            cin = cout
        self.blocks = nn.ModuleList(mods)
        self.order = []  # ("block", i) or ("pool", j)
        if macro == "SNN_3":
            self.order = [("block", i) for i in range(8)]
            self.pools = nn.ModuleList()
            res = hw // 8
        else:
            pk = "avg" if macro == "SNN_4" else "max"
            self.pools = nn.ModuleList([Pool(pk) for _ in range(3)])
            self.order = [("block", 0), ("pool", 0), ("block", 1), ("block", 2), ("pool", 1),
                          ("block", 3), ("block", 4), ("pool", 2)]
            res = hw // 8
        feat = cin * res * res
        if macro == "SNN_2":
            self.gap = nn.Module(); self.gap.plif = Neuron()
            feat = cin
        self.fc = nn.Module(); self.fc.weight = nn.Parameter(kaiming((10 * classes, feat), gen))
        self.fc_plif = Neuron()

    def forward(self, x, steps):
        for n in neurons(self):
            n.reset()
        for p in self.pools:
            p.spikes = 0.0
        stem = self.stem.bn(F.conv2d(x, self.stem.conv.weight, padding=1))  # once (direct encoding)
        counter = 0
        for _ in range(steps):
            s = self.stem.plif(stem)
            for kind, i in self.order:
                s = self.blocks[i](s) if kind == "block" else self.pools[i](s)
            if self.macro == "SNN_2":
                s = self.gap.plif(s.mean(dim=(2, 3)))
            s = self.fc_plif(F.linear(s.flatten(1), self.fc.weight))
            counter = counter + vote(s)
        return counter

    def spike_table(self):
        out = {}
        for name, m in self.named_modules():
            if isinstance(m, Neuron):
                out[name] = int(m.spikes)
            elif isinstance(m, Pool) and m.kind == "max":
                out[name] = int(m.spikes)
        return out

    def min_margin(self):
        return min(n.min_margin for n in neurons(self))


FC_SCALE = 3.0


def perturb(net, g):
    """Move the fixture away from the default initialisation so that loading
    every tensor matters: PLIF w ~ U(-0.5, 1), BN gamma ~ 1 + 0.1 N(0,1),
    beta ~ 0.1 N(0,1), and fc.weight scaled by FC_SCALE so the output layer fires."""
    with torch.no_grad():
        for n in neurons(net):
            n.w.copy_((torch.rand((), generator=g) * 1.5 - 0.5).to(n.w.dtype))
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_((1 + 0.1 * torch.randn(m.weight.shape, generator=g)).to(m.weight.dtype))
                m.bias.copy_((0.1 * torch.randn(m.bias.shape, generator=g)).to(m.bias.dtype))
        net.fc.weight.mul_(FC_SCALE)


def fix_net(name, macro, blocks, seed, C=4, classes=10, hw=16, batch=2, attempts=None):
    """Builds the fixture of one network and returns it with the seed attempt
    used (attempts restricts the search, so that a float32 run can repeat the
    float64 run's draw)."""
    for attempt in attempts or range(200):
        g = torch.Generator().manual_seed(seed + 7919 * attempt)
        net = Net(macro, blocks, C, classes, hw, g)
        perturb(net, g)
        net.to(DTYPE)
        x = randn((batch, 3, hw, hw), g)
        labels = torch.randint(0, classes, (batch,), generator=g)
        init = {k: v.detach().clone() for k, v in net.state_dict().items()}
        net.train()
        counter = net(x, T)
        spikes = net.spike_table()
        margin = net.min_margin()
        # Eval-mode forward with the running statistics updated by the train forward.
        net.eval()
        with torch.no_grad():
            counter_eval = net(x, T)
        eval_spikes = net.spike_table()
        eval_margin = net.min_margin()
        net.train()
        if margin > NET_MARGIN and eval_margin > NET_MARGIN:
            break
    else:
        raise SystemExit("no seed with margin for " + name)
    loss = F.mse_loss(counter / T, F.one_hot(labels, classes).to(DTYPE))
    for n in neurons(net):
        n.wabs = 0.0
    loss.backward()
    f = Fixture(name, {"macro": macro, "blocks": blocks, "C": C, "classes": classes, "T": T,
                       "input": [3, hw, hw], "batch": batch, "seed_attempt": attempt,
                       "fc_scale": FC_SCALE})
    f.t("input", x)
    f.i("labels", labels.tolist())
    # Initial parameters and buffers (num_batches_tracked is not stored).
    for k, v in init.items():
        if k.endswith("num_batches_tracked"):
            continue
        f.t("init/" + k, v.reshape(-1) if v.dim() == 0 else v)
    for k, p in net.named_parameters():
        f.t("grad/" + k, p.grad.reshape(-1) if p.grad.dim() == 0 else p.grad)
    for k, v in net.state_dict().items():
        if "running_" in k:
            f.t("after/" + k, v)
    f.t("counter", counter)
    f.s("loss", loss.item())
    f.i("pred", counter.argmax(1).tolist())
    for k, v in spikes.items():
        f.i("spikes/" + k, v)
    total = sum(spikes.values())
    neuron_only = sum(v for k, v in spikes.items() if not k.startswith("pools.") or k.endswith(".plif"))
    f.i("spikes_total", total)
    f.i("spikes_neurons", neuron_only)
    f.s("spikes_per_image", total / batch)
    f.s("min_margin", margin)
    f.t("eval/counter", counter_eval)
    f.i("eval_pred", counter_eval.argmax(1).tolist())
    for k, v in eval_spikes.items():
        f.i("eval_spikes/" + k, v)
    f.s("eval_min_margin", eval_margin)
    for k, m in net.named_modules():
        if isinstance(m, Neuron) and m.kind == "plif":
            f.s("wcond/" + k + ".w", m.wcond())
    return f, attempt


# The whole-network fixtures: name, macro, blocks, seed.
NETS = [("snn1_" + b, "SNN_1", [b] * 5, 100 + i)
        for i, b in enumerate(["skip", "SCB_k3", "SCB_k5", "SRB_k3", "SRB_k5"])] + [
    ("snn2_gap", "SNN_2", ["SRB_k3", "SCB_k3", "skip", "SRB_k3", "skip"], 110),
    ("snn3_stride2", "SNN_3",
     ["SCB_k3", "SRB_k3", "skip", "SCB_k3", "skip", "SRB_k3", "skip", "SRB_k3"], 120),
    ("snn4_avgpool", "SNN_4", ["SCB_k3", "SRB_k3", "skip", "SCB_k3", "SRB_k3"], 130),
]

# Seed step between variants of a network (--variants); larger than the
# attempts of fix_net (7919 * 200) so that variants never share a draw.
VARIANT_STEP = 1_000_003


def float32_error(name, macro, blocks, seed):
    """Prints PyTorch float32's max-norm relative error against float64 for
    every float tensor of one network fixture, the worst first."""
    global DTYPE
    DTYPE = torch.float64
    want, attempt = fix_net(name, macro, blocks, seed)
    DTYPE = torch.float32
    try:
        got, _ = fix_net(name, macro, blocks, seed, attempts=[attempt])
    finally:
        DTYPE = torch.float64
    errs = []
    for tw, tg, cw, cg in zip(want.tensors, got.tensors, want.chunks, got.chunks):
        n = len(cw) // 4
        a, b = struct.unpack("<%df" % n, cg), struct.unpack("<%df" % n, cw)
        scale = max((abs(v) for v in b), default=0.0)
        diff = max((abs(x - y) for x, y in zip(a, b)), default=0.0)
        if tw["name"] == "input" or tw["name"].startswith("init/"):
            if diff != 0:
                raise SystemExit("%s: %s differs between float32 and float64" % (name, tw["name"]))
            continue
        errs.append((diff / scale if scale > 0 else (0.0 if diff == 0 else math.inf), tw["name"]))
    if want.ints != got.ints:
        bad = sorted(k for k in want.ints if want.ints[k] != got.ints.get(k))
        print("%s: integers differ in float32: %s" % (name, ", ".join(bad)))
    errs.sort(reverse=True)
    for e, n in errs[:3]:
        print("%-16s %-36s %.3g" % (name, n, e))
    # PLIF w gradients relative to their condition scale (wcond/...).
    grads = {}
    for fx, key in ((want, "want"), (got, "got")):
        for tw, cw in zip(fx.tensors, fx.chunks):
            if tw["name"].startswith("grad/") and tw["name"].endswith(".w"):
                grads.setdefault(tw["name"][len("grad/"):], {})[key] = struct.unpack("<f", cw)[0]
    worst, wname = 0.0, ""
    for k, scale in want.scalars.items():
        if not k.startswith("wcond/"):
            continue
        g = grads[k[len("wcond/"):]]
        d = abs(g["got"] - g["want"])
        e = 0.0 if d == 0 else (d / scale if scale > 0 else math.inf)
        if e >= worst:
            worst, wname = e, k
    print("%-16s %-36s %.3g (of the condition scale)" % (name, wname, worst))


def main():
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    ap = argparse.ArgumentParser(description="Writes the golden parity fixtures.")
    ap.add_argument("groups", nargs="*", help="fixture groups to write: layers, nets (default all)")
    ap.add_argument("--out", default=NET_DIR, help="directory of the network fixtures")
    ap.add_argument("--variants", type=int, default=0,
                    help="only networks, each also with this many other seeds (NAME_v1..); "
                         "written to --out, or measured with --float32-error")
    ap.add_argument("--float32-error", action="store_true",
                    help="print PyTorch float32's own error on every network; write nothing")
    args = ap.parse_args()
    if args.float32_error:
        for name, macro, blocks, seed in NETS:
            float32_error(name, macro, blocks, seed)
            for v in range(1, args.variants + 1):
                float32_error("%s_v%d" % (name, v), macro, blocks, seed + VARIANT_STEP * v)
        return
    if args.variants:
        for name, macro, blocks, seed in NETS:
            for v in range(1, args.variants + 1):
                f, _ = fix_net("%s_v%d" % (name, v), macro, blocks, seed + VARIANT_STEP * v)
                f.write(args.out)
        return
    only = args.groups
    for g in only:
        if g not in ("layers", "nets"):
            ap.error("unknown fixture group %r (want layers or nets)" % g)

    def want(group):
        return not only or group in only

    if want("layers"):
        fix_conv("conv_k1_s1", 3, 4, 1, 1, 0, 5, 1)
        fix_conv("conv_k3_s1", 3, 4, 3, 1, 1, 5, 2)
        fix_conv("conv_k5_s1", 3, 4, 5, 1, 2, 6, 3)
        fix_conv("conv_k3_s2", 3, 4, 3, 2, 1, 7, 4)
        fix_conv("conv_k1_s2", 4, 6, 1, 2, 0, 6, 5)
        fix_conv("conv_k5_s2", 2, 3, 5, 2, 2, 8, 6)
        fix_linear(10)
        fix_bn("bn2d_train", (3, 3, 4, 4), True, T, 20)
        fix_bn("bn2d_eval", (3, 3, 4, 4), False, T, 21)
        fix_bn("bn2d_static", (3, 3, 4, 4), True, 1, 22)
        fix_bn("bn1d_train", (4, 5), True, T, 23)
        fix_neuron("plif", "plif", 30)
        fix_neuron("plif_w0", "plif", 31, w=0.0)
        fix_neuron("plif_static", "plif", 32, static=True)
        fix_neuron("lif", "lif", 33)
        fix_neuron("if", "if", 34)
        fix_neuron("plif_reg", "plif", 35, reg_beta=0.05)
        fix_relu(40)
        fix_pool("maxpool2", "max", 2, 2, False, 50)
        fix_pool("maxpool2_spikes", "max", 2, 2, True, 51)
        fix_pool("maxpool3s2_spikes", "max", 3, 2, True, 52, hw=7)
        fix_pool("avgpool2", "avg", 2, 2, False, 53)
        fix_pool("gap", "gap", 0, 0, False, 54, hw=4)
        fix_vote_mse(60)
        fix_ce(61)
        fix_adam(70)
    if want("nets"):
        for net in NETS:
            f, _ = fix_net(*net)
            f.write(args.out)


if __name__ == "__main__":
    main()
