"""Benchmarks of the deepgrad kernels against baselines, in one process.

Run from the repository root as ``python -m benchmarks.run`` (``make bench``); see
benchmarks/README.md.
"""
