#!/usr/bin/env python3
"""PyTorch CPU anchor for the conv-net rows of bench/conv.ts.

Usage: OPENBLAS_NUM_THREADS=T OMP_NUM_THREADS=T /usr/bin/python3 bench/torch_conv_anchor.py T
Prints one JSON object: the time of one training step (forward, log-softmax/NLL = cross-entropy,
backward, SGD with momentum 0.9) of DEEP-GLASS's conv1020relu on MNIST-shaped inputs at batch 100,
in float32 and float64, with the statistics of bench/harness.ts (median and quartiles of samples).
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(threads)
torch.manual_seed(0)


def measure(fn, warmup_s=0.3, sample_s=0.05, samples=15):
    t_end = time.perf_counter() + warmup_s
    calls = 0
    while time.perf_counter() < t_end or calls < 3:
        fn()
        calls += 1
    per = warmup_s / calls
    reps = max(1, int(sample_s / max(per, 1e-9)))
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        times.append((time.perf_counter() - t0) / reps)
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(round(p * (len(times) - 1))))]
    return {"median": q(0.5), "q1": q(0.25), "q3": q(0.75), "samples": samples, "reps": reps}


def conv1020relu():
    return nn.Sequential(
        nn.Conv2d(1, 10, 5), nn.MaxPool2d(2), nn.ReLU(),
        nn.Conv2d(10, 20, 5), nn.MaxPool2d(2), nn.ReLU(),
        nn.Flatten(), nn.Linear(320, 80), nn.ReLU(), nn.Linear(80, 10),
    )


out = {"torch": torch.__version__, "threads": threads}
for dtype, name in ((torch.float32, "f32"), (torch.float64, "f64")):
    model = conv1020relu().to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(100, 1, 28, 28, dtype=dtype)
    y = torch.randint(0, 10, (100,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    out[name] = measure(step)
print(json.dumps(out))
