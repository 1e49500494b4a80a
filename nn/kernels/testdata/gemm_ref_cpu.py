"""gemm_ref.py (../shared/bench) with a second figure: GFLOP/s per CPU
second of the calling thread (time.thread_time), which a busy shared machine
disturbs far less than the wall clock. With OPENBLAS_NUM_THREADS=1 all the
work runs on the calling thread. Compare with the cpu-GFLOP/s metric of
go test -bench Sgemm ./nn/kernels/.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 nn/kernels/testdata/gemm_ref_cpu.py
"""
import statistics, time

import numpy as np

SHAPES = [(32, 147, 51200), (50, 8192, 500), (500, 50, 8192)]

for m, k, n in SHAPES:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    c = np.empty((m, n), np.float32)
    np.matmul(a, b, out=c)
    t0 = time.perf_counter()
    np.matmul(a, b, out=c)
    inner = max(1, int(0.2 / max(time.perf_counter() - t0, 1e-6)))
    wall, cpu = [], []
    for _ in range(7):
        t0, c0 = time.perf_counter(), time.thread_time()
        for _ in range(inner):
            np.matmul(a, b, out=c)
        flop = 2.0 * m * k * n * inner
        wall.append(flop / (time.perf_counter() - t0) / 1e9)
        cpu.append(flop / (time.thread_time() - c0) / 1e9)
    print(f"sgemm M,K,N={m},{k},{n}: GFLOP/s median {statistics.median(wall):.1f} cpu-GFLOP/s median {statistics.median(cpu):.1f}")
