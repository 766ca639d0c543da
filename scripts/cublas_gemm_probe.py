# How close cuBLAS (torch.nn.functional.linear) comes to the copy bandwidth on the
# Qwen2-7B decode GEMMs, m 1 / 8 / 32, 28 distinct weights per CUDA graph (no L2
# reuse). Run on the GPU machine: python3 scripts/cublas_gemm_probe.py. Its own
# copy figure times a uint8 copy_, slower than the engine's copy_bandwidth();
# compare the GB/s column with `bench decode-model`'s "copy bandwidth" line.
import torch, statistics
torch.manual_seed(0)
dev = "cuda"
def graph_time(fn, reps=20):
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        fn(); fn()
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        fn()
    ts = []
    for _ in range(reps):
        a = torch.cuda.Event(enable_timing=True); b = torch.cuda.Event(enable_timing=True)
        a.record(); g.replay(); b.record(); b.synchronize()
        ts.append(a.elapsed_time(b))
    return statistics.median(ts)
# copy bandwidth
src = torch.empty(2 << 30, dtype=torch.uint8, device=dev); dst = torch.empty_like(src)
ms = graph_time(lambda: dst.copy_(src))
bw = 2 * src.numel() / ms / 1e6
print(f"copy bandwidth {bw:.0f} GB/s")
del src, dst
shapes = {"qkv": (4608, 3584, True), "o": (3584, 3584, False), "gate": (18944, 3584, False),
          "gate_up": (37888, 3584, False), "down": (3584, 18944, False)}
for backend in ["cublas", "cublaslt"]:
    torch.backends.cuda.preferred_blas_library(backend)
    for M in (1, 8, 32):
        for name, (N, K, bias) in shapes.items():
            ws = [torch.randn(N, K, device=dev, dtype=torch.bfloat16) for _ in range(28)]
            bs = [torch.randn(N, device=dev, dtype=torch.bfloat16) if bias else None for _ in range(28)]
            x = torch.randn(M, K, device=dev, dtype=torch.bfloat16)
            ms = graph_time(lambda: [torch.nn.functional.linear(x, w, b) for w, b in zip(ws, bs)])
            by = 28 * N * K * 2
            print(f"{backend:9s} M {M:2d} {name:8s} {N:6d}x{K:5d}: {ms/28*1e3:7.1f} us  {by/ms/1e6:6.0f} GB/s  {100*by/ms/1e6/bw:5.1f}% of copy")
            del ws, bs
        N, K = 152064, 3584
        w = torch.randn(N, K, device=dev, dtype=torch.bfloat16); x = torch.randn(M, K, device=dev, dtype=torch.bfloat16)
        ms = graph_time(lambda: torch.nn.functional.linear(x, w))
        print(f"{backend:9s} M {M:2d} lm_head  {N:6d}x{K:5d}: {ms*1e3:7.1f} us  {N*K*2/ms/1e6:6.0f} GB/s  {100*N*K*2/ms/1e6/bw:5.1f}% of copy")
        del w
