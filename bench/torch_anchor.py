#!/usr/bin/env python3
"""PyTorch CPU anchor for glassy's benchmarks (bench/torch.ts runs it as a subprocess).

Usage: OPENBLAS_NUM_THREADS=T OMP_NUM_THREADS=T /usr/bin/python3 bench/torch_anchor.py T
Prints one JSON object: torch version, threads, GEMM timings per (M, K, N, layout, dtype) and the
SGD-step rate of a 784-100-10 ReLU MLP with softmax cross-entropy at batch 128.
Timing: warm-up, then `samples` samples of enough calls to last >= sample_s each; per-call median
and quartiles, as bench/harness.ts does for glassy's own rows.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(threads)
torch.manual_seed(0)


def measure(fn, warmup_s=0.2, sample_s=0.02, samples=15):
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


# (M, K, N, layout): C[M,N] = op(A) op(B); layout "nt" = A[M,K] . B[N,K]^T, "tn" = A[K,M]^T . B[K,N], "nn".
GEMMS = [(128, 784, 100, "nt"), (784, 128, 100, "tn"), (1000, 784, 100, "nt"), (512, 512, 512, "nn")]
gemm = []
with torch.no_grad():
    for m, k, n, layout in GEMMS:
        for dtype, name in ((torch.float32, "f32"), (torch.float64, "f64")):
            a = torch.randn(k, m, dtype=dtype) if layout == "tn" else torch.randn(m, k, dtype=dtype)
            b = torch.randn(n, k, dtype=dtype) if layout == "nt" else torch.randn(k, n, dtype=dtype)
            c = torch.empty(m, n, dtype=dtype)
            A = a.t() if layout == "tn" else a
            B = b.t() if layout == "nt" else b
            r = measure(lambda: torch.mm(A, B, out=c))
            r.update({"m": m, "k": k, "n": n, "layout": layout, "dtype": name})
            gemm.append(r)

# One SGD step: forward, softmax cross-entropy, backward, update (784 -> 100 ReLU -> 10, batch 128).
model = torch.nn.Sequential(torch.nn.Linear(784, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.01)
x = torch.randn(128, 784)
y = torch.randint(0, 10, (128,))


def step():
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()


sgd = measure(step, warmup_s=0.5)
print(json.dumps({"torch": torch.__version__, "threads": threads, "gemm": gemm, "sgd": sgd}))
