"""Atomic file writes: every output is written to a temp file beside it and renamed."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temp path in the target's folder; rename it over `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    # mkstemp makes the file 0600; results get the mode open() would give them, so colleagues
    # sharing a results folder can read them.
    os.fchmod(handle, 0o666 & ~_umask())
    os.close(handle)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def write_text(path: Path | str, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_text_if_changed(path: Path | str, text: str) -> Path:
    """Write `text` only when the file's content differs: its time stamp then says when it last changed."""
    path = Path(path)
    if not path.is_file() or path.read_text() != text:
        write_text(path, text)
    return path


def write_json(path: Path | str, data: dict) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n")


def save_torch(path: Path | str, obj: object) -> None:
    """torch.save, atomically; through a buffer, so equal objects give equal bytes
    (torch.save names its archive after the file, which would leak the temp name into the hash)."""
    import io

    import torch

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getbuffer())


def sha256_file(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class CsvLog:
    """An append-only CSV of complete rows; on resume, rows after a step are dropped first."""

    def __init__(self, path: Path | str, columns: list[str], keep_until_step: int | None = None):
        self.path = Path(path)
        self.columns = columns
        if keep_until_step is None or not self.path.exists():
            write_text(self.path, ",".join(columns) + "\n")
        else:
            self._truncate_after(keep_until_step)

    def _truncate_after(self, step: int) -> None:
        with open(self.path, newline="") as handle:
            rows = [row for row in csv.DictReader(handle) if row.get("step") and int(row["step"]) <= step]
        with atomic_path(self.path) as tmp, open(tmp, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.columns)
            writer.writeheader()
            writer.writerows(rows)

    def append(self, row: dict) -> None:
        line = ",".join(_format(row.get(column)) for column in self.columns) + "\n"
        with open(self.path, "a") as handle:
            handle.write(line)


def _format(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)
