"""Benchmarks, run by hand: ``python -m tests.benchmarks.bench_report``."""
