#!/usr/bin/env python3
"""PyTorch anchor of glassy's end-to-end benchmarks (bench/e2e.ts and bench/lockstep.ts run it).

The obvious script a PyTorch user writes for `glassy train`: K replicas of an MLP trained one after
the other on MNIST (x/255, float32), each with its own initialisation (nn.Linear's default) and its
own mini-batch order (torch.randperm every epoch, drop_last=False); forward, softmax cross-entropy,
backward, plain SGD step; the test error once at the end.

Usage: OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 bench/torch_e2e.py MNIST_DIR
         [--sizes 784-100-10] [--replicas 2] [--epochs 5] [--batch 128] [--lr 0.1] [--steps N]
--steps caps the SGD steps per replica (throughput runs). --shared-order: one randperm per epoch and
one batch gather per step for all replicas, stepped one after the other inside the step (the
per-replica loop a PyTorch user writes for an ensemble that shares its data order). Prints one JSON object: seconds from
start to data loaded, seconds of training (all replicas, test evaluation included; wall and CPU),
samples/s of the SGD steps alone (per wall and per CPU second, the test evaluation excluded), and
the mean final test error.
"""
import argparse
import json
import os
import time

t_start = time.perf_counter()
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


p = argparse.ArgumentParser()
p.add_argument("mnist")
p.add_argument("--sizes", default="784-100-10")
p.add_argument("--replicas", type=int, default=2)
p.add_argument("--epochs", type=float, default=5)
p.add_argument("--batch", type=int, default=128)
p.add_argument("--lr", type=float, default=0.1)
p.add_argument("--steps", type=int, default=0)
p.add_argument("--shared-order", action="store_true")
a = p.parse_args()
torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))

xtr = torch.from_numpy(idx(os.path.join(a.mnist, "train-images-idx3-ubyte")).reshape(60000, 784).astype(np.float32) / 255)
ytr = torch.from_numpy(idx(os.path.join(a.mnist, "train-labels-idx1-ubyte")).astype(np.int64))
xte = torch.from_numpy(idx(os.path.join(a.mnist, "t10k-images-idx3-ubyte")).reshape(10000, 784).astype(np.float32) / 255)
yte = torch.from_numpy(idx(os.path.join(a.mnist, "t10k-labels-idx1-ubyte")).astype(np.int64))
t_loaded = time.perf_counter()
c_loaded = time.process_time()

sizes = [int(s) for s in a.sizes.split("-")]
n = xtr.shape[0]
per_epoch = (n + a.batch - 1) // a.batch
total = max(1, round(a.epochs * per_epoch))
if a.steps > 0:
    total = min(total, a.steps)
errors = []
samples = 0
eval_wall = eval_cpu = 0.0


def test_error(model):
    global eval_wall, eval_cpu
    t, c = time.perf_counter(), time.process_time()
    with torch.no_grad():
        e = float((model(xte).argmax(1) != yte).float().mean())
    eval_wall += time.perf_counter() - t
    eval_cpu += time.process_time() - c
    return e


def make(r):
    torch.manual_seed(r)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    return model, torch.optim.SGD(model.parameters(), lr=a.lr)


def sgd(model, opt, xb, yb):
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(xb), yb)
    loss.backward()
    opt.step()


if a.shared_order:
    nets = [make(r) for r in range(a.replicas)]
    step = 0
    while step < total:
        perm = torch.randperm(n)
        for s in range(0, n, a.batch):
            if step >= total:
                break
            i = perm[s: s + a.batch]
            xb, yb = xtr[i], ytr[i]
            for model, opt in nets:
                sgd(model, opt, xb, yb)
                samples += len(i)
            step += 1
    errors = [test_error(m) for m, _ in nets]
else:
    for r in range(a.replicas):
        model, opt = make(r)
        step = 0
        while step < total:
            perm = torch.randperm(n)
            for s in range(0, n, a.batch):
                if step >= total:
                    break
                i = perm[s: s + a.batch]
                sgd(model, opt, xtr[i], ytr[i])
                samples += len(i)
                step += 1
        errors.append(test_error(model))
t_end = time.perf_counter()
c_end = time.process_time()
print(json.dumps({
    "torch": torch.__version__, "threads": torch.get_num_threads(),
    "load_s": t_loaded - t_start, "train_s": t_end - t_loaded,
    "train_cpu_s": c_end - c_loaded, "eval_s": eval_wall,
    "samples_per_s": samples / (t_end - t_loaded - eval_wall),
    "samples_per_cpu_s": samples / (c_end - c_loaded - eval_cpu), "test_error_mean": sum(errors) / len(errors),
}))
