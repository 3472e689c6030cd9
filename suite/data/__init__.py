"""Data sets by name: 32x32 image sets as uint8 tensors, 2-d toy sets as float tensors, and a study's own
image folders and array files."""

from suite.data.base import ROOT_VARIABLE, ImageData, fetch_root
from suite.data.registry import (DATASETS, data_shape, describe_own, is_available, is_labelled, load_dataset,
                                 own_key, register_own)

__all__ = ["DATASETS", "ROOT_VARIABLE", "ImageData", "data_shape", "describe_own", "fetch_root", "is_available",
           "is_labelled", "load_dataset", "own_key", "register_own"]
