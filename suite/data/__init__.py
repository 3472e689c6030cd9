"""Data sets by name: 32x32 image sets as uint8 tensors, 2-d toy sets as float tensors."""

from suite.data.base import ROOT_VARIABLE, ImageData, fetch_root
from suite.data.registry import DATASETS, data_shape, is_available, load_dataset

__all__ = ["DATASETS", "ROOT_VARIABLE", "ImageData", "data_shape", "fetch_root", "is_available", "load_dataset"]
