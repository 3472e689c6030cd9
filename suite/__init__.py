"""ganbench: a reproducibility benchmark suite for GAN stabilization methods."""

__version__ = "0.1.0"
