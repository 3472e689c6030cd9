"""Performance benchmarks of the suite against bare PyTorch; run `python -m benchmarks.run`."""
