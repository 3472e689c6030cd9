"""Domain metrics: a small CNN classifier trained once per data set.

Its penultimate features give a domain FID and its softmax a domain IS. Both are cheap enough
to score a few hundred samples every K training steps on a CPU.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from suite.errors import DataMissingError
from suite.metrics.base import Extractor
from suite.io import save_torch, sha256_file
from suite.progress import progress

log = logging.getLogger(__name__)

FEATURE_DIM = 128
NUM_CLASSES = 10
FORMAT = "ganbench-domain-classifier/1"
# A class is covered when it is the classifier's label of at least this share of the generated images: a
# tenth of the 1/10 a generator matching Fashion-MNIST's balanced classes gives each (20 of 2,000 images).
CLASS_MIN_SHARE = 0.01


def classes_covered(logits: np.ndarray, min_share: float = CLASS_MIN_SHARE) -> int:
    """How many classes label (argmax of the logits [N, K]) at least `min_share` of the N images: mode
    coverage on images, as toy runs count the mixture components their samples reach."""
    logits = np.asarray(logits)
    if len(logits) == 0:
        raise ValueError("class coverage needs at least one image")
    counts = np.bincount(logits.argmax(axis=1), minlength=logits.shape[1])
    return int((counts >= min_share * len(logits)).sum())


class DomainCNN(nn.Module):
    """32x32 -> 3 conv blocks (conv-BN-ReLU-maxpool) -> 128-d penultimate features -> 10 logits."""

    def __init__(self, channels: int = 1, width: int = 16, feature_dim: int = FEATURE_DIM,
                 num_classes: int = NUM_CLASSES):
        super().__init__()
        blocks, c_in = [], channels
        for c_out in (width, 2 * width, 4 * width):  # 32 -> 16 -> 8 -> 4
            blocks += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            c_in = c_out
        self.body = nn.Sequential(*blocks)
        self.penultimate = nn.Sequential(nn.Flatten(), nn.Linear(c_in * 16, feature_dim), nn.ReLU(inplace=True))
        self.head = nn.Linear(feature_dim, num_classes)

    @staticmethod
    def preprocess(images: torch.Tensor) -> torch.Tensor:
        """uint8 [0, 255] -> float [-1, 1] (the generators' range)."""
        return images.float().div_(127.5).sub_(1.0)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.penultimate(self.body(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def _accuracy(model: DomainCNN, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> float:
    model.eval()
    correct = 0
    with torch.inference_mode():
        for x, y in zip(images.split(batch_size), labels.split(batch_size)):
            correct += int((model(model.preprocess(x)).argmax(1) == y).sum())
    return correct / len(labels)


def _class_count(labels: torch.Tensor) -> int:
    """NUM_CLASSES, or more for a data set of more classes (a study's own)."""
    return max(NUM_CLASSES, int(labels.max()) + 1)


def fit_classifier(train_images: torch.Tensor, train_labels: torch.Tensor, seed: int = 0, epochs: int = 2,
                   batch_size: int = 128, lr: float = 2e-3, width: int = 16) -> DomainCNN:
    """Train a DomainCNN with Adam + one-cycle LR, seeded (same seed and threads => same weights on CPU)."""
    torch.manual_seed(seed)
    model = DomainCNN(channels=train_images.shape[1], width=width, num_classes=_class_count(train_labels))
    model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = (len(train_images) + batch_size - 1) // batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch)
    shuffler = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(train_images), generator=shuffler)
        bar = progress(order.split(batch_size), desc=f"domain classifier epoch {epoch + 1}/{epochs}",
                       unit="batches")
        for index in bar:
            x = model.preprocess(train_images[index]).contiguous(memory_format=torch.channels_last)
            loss = F.cross_entropy(model(x), train_labels[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        log.info("domain classifier epoch %d/%d: last loss %.4f", epoch + 1, epochs, loss.item())
    return model.eval()


def train_domain_classifier(data_name: str, out_path: str | Path, seed: int = 0, epochs: int = 3,
                            threads: int | None = None, n_train: int | None = None, n_test: int | None = None,
                            batch_size: int = 128,
                            lr: float = 2e-3, width: int = 16) -> dict:
    """Train the domain classifier of `data_name` on its train split, test it on its test split,
    save weights + test accuracy to `out_path` atomically.

    Returns {"test_accuracy", "seconds", "cpu_seconds", "epochs", "seed", "n_train", "n_test", "threads",
    "sha256", "path"}: `seconds` and `cpu_seconds` are the wall and CPU time of the fitting alone.
    `n_train` / `n_test` limit the training images (a seeded subset) and the test images (the first
    n_test) for quick runs; the defaults use the whole splits.
    """
    from suite.data import load_dataset

    if threads is not None:
        torch.set_num_threads(threads)
    train, test = load_dataset(data_name, "train"), load_dataset(data_name, "test")
    if len(train.labels) == 0:
        raise DataMissingError(f"{data_name} has no labels: a domain classifier needs a labelled data set")
    images, labels = train.images, train.labels
    if n_train is not None and n_train < len(images):
        pick = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:n_train]
        images, labels = images[pick], labels[pick]
    start, cpu_start = time.perf_counter(), time.process_time()
    model = fit_classifier(images, labels, seed=seed, epochs=epochs, batch_size=batch_size, lr=lr, width=width)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    test_images, test_labels = test.images[:n_test], test.labels[:n_test]
    accuracy = _accuracy(model, test_images, test_labels)
    info = {"test_accuracy": accuracy, "seconds": seconds, "cpu_seconds": cpu_seconds, "epochs": epochs,
            "seed": seed, "n_train": len(images), "n_test": len(test_labels), "threads": torch.get_num_threads(),
            "data": data_name}
    config = {"channels": int(images.shape[1]), "width": width}
    if _class_count(labels) != NUM_CLASSES:  # recorded only then: the shipped sets' files stay as they were
        config["num_classes"] = _class_count(labels)
    save_torch(out_path, {"format": FORMAT, "state_dict": model.to(memory_format=torch.contiguous_format).state_dict(),
                          "config": config, **info})
    info.update(sha256=sha256_file(out_path), path=str(out_path))
    log.info("domain classifier %s: test accuracy %.4f in %.1f s", data_name, accuracy, seconds)
    return info


class DomainScorer(Extractor):
    """Penultimate features (domain FID) and softmax logits (domain IS) of a trained DomainCNN."""

    def __init__(self, path: str | Path, batch_size: int = 500):
        path = Path(path)
        if not path.is_file():
            raise DataMissingError(f"domain classifier {path} not found: train it with "
                                   f"`python -m suite train-classifier <data> {path}`")
        saved = torch.load(path, map_location="cpu", weights_only=True)
        if saved.get("format") != FORMAT:
            raise DataMissingError(f"{path} is not a ganbench domain classifier ({saved.get('format')!r})")
        model = DomainCNN(**saved["config"])
        model.load_state_dict(saved["state_dict"])
        self.network = model.to(memory_format=torch.channels_last).eval().requires_grad_(False)
        self.channels = saved["config"]["channels"]
        self.test_accuracy = float(saved["test_accuracy"])
        self.data = saved.get("data")
        self.name = "domain"
        self.dim = FEATURE_DIM
        self.has_logits = True
        self.weights_sha256 = sha256_file(path)
        self.batch_size = batch_size

    def check(self, images: torch.Tensor) -> None:
        super().check(images)
        if tuple(images.shape[1:]) != (self.channels, 32, 32):
            raise ValueError(f"domain classifier ({self.data}) expects [N, {self.channels}, 32, 32], "
                             f"got {tuple(images.shape)}")

    def _forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.network.preprocess(images).contiguous(memory_format=torch.channels_last)
        features = self.network.features(x)
        return features, self.network.head(features)

    def softmax(self, images: torch.Tensor) -> np.ndarray:
        """Class probabilities float64 [N, 10] of uint8 images."""
        logits = self.extract(images, desc="domain").logits
        return torch.from_numpy(logits).softmax(dim=1).numpy()

    def score(self, images: torch.Tensor, ref, is_splits: int = 1) -> dict:
        """{"domain_fid", "domain_is"} of uint8 images [N, C, 32, 32] against a reference
        (a `Reference` or its .npz path, computed with this classifier)."""
        from suite.metrics.frechet import fid_from_stats, inception_score, statistics
        from suite.metrics.reference import as_reference

        ref = as_reference(ref)
        ref.require(self.name, self.weights_sha256)
        feats = self.extract(images, desc="domain")
        gen = statistics(feats.features)
        return {"domain_fid": fid_from_stats(gen.mu, gen.sigma, ref.mu, ref.sigma),
                "domain_is": inception_score(feats.logits, splits=is_splits)[0]}
