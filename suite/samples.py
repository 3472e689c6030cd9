"""Sample figures: an image grid for image data, a scatter for 2-d toy data, lines of generated text."""

from __future__ import annotations

from pathlib import Path

import torch

from suite.io import atomic_path


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Generator output in [-1, 1] -> uint8 [0, 255], rounded to nearest (clamped), on the CPU.

    The one conversion used for sample grids and for scoring.
    """
    return images.detach().float().mul(127.5).add_(128.0).clamp_(0, 255).to(torch.uint8).cpu()


def save_samples(samples: torch.Tensor, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples = samples.detach().cpu()
    if samples.dim() == 4:
        from torchvision.utils import make_grid

        grid = make_grid(to_uint8(samples), nrow=8, padding=2, pad_value=255)
        figure = plt.figure(figsize=(4, 4), dpi=100)
        plt.imshow(grid.permute(1, 2, 0).numpy(), cmap="gray" if samples.shape[1] == 1 else None)
        plt.axis("off")
    else:
        figure = plt.figure(figsize=(4, 4), dpi=100)
        plt.scatter(samples[:, 0].numpy(), samples[:, 1].numpy(), s=4, alpha=0.6)
        plt.gca().set_aspect("equal")
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", bbox_inches="tight")
    plt.close(figure)


def save_text_samples(lines: list[str], png_path: Path, text_path: Path) -> None:
    """Generated sequences as text (one a line) and drawn in a monospace font: the PNG the train rule declares."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from suite.io import write_text

    write_text(text_path, "".join(f"{line}\n" for line in lines))
    figure = plt.figure(figsize=(2.6, 0.14 * len(lines) + 0.15), dpi=100)  # 8-pt monospace: 0.14 in a line
    figure.text(0.02, 0.98, "\n".join(lines), family="monospace", fontsize=8, va="top", ha="left")
    with atomic_path(png_path) as tmp:
        figure.savefig(tmp, format="png")
    plt.close(figure)
