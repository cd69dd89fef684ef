"""Benchmarks and chaos runs for Sila: `python -m bench run [--quick]`, `python -m bench chaos [--quick]`."""
