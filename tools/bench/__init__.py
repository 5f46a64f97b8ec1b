"""The benchmark: python tools/bench/bench.py (as root; figures in BENCHMARKS.md)."""
