"""Performance benchmarks of the suite against bare PyTorch (issue 11); run `python -m benchmarks.run`."""
