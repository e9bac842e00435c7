"""Benchmark harness: real `pager serve` processes under load, results written to BENCHMARKS.md."""
