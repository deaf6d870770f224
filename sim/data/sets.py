"""Data sets for the data landscapes: seeded built-ins and a strict CSV reader.

A data set is a regression set (inputs x [n, 1], targets y [n]) or a classification set
(inputs x [n, 2], labels y [n] in {0, 1}). Built-ins are generated from fixed seeds, so they
are the same numbers on every machine and in every run.
"""
from __future__ import annotations

import csv
import errno
import hashlib
import io
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REGRESSION = "regression"
CLASSIFICATION = "classification"
MIN_ROWS = 2
MAX_ROWS = 100_000
MAX_FILE_BYTES = 64 * 2**20  # refuse to read anything larger (100,000 rows fit in ~5 MB)
# the largest |value| a data set holds: the losses sum squares of values over up to MAX_ROWS
# rows (MAX_ROWS * MAX_VALUE^2 ~ 1e305 < 1.8e308); a larger value's loss is not finite
MAX_VALUE = 1e150

# built-in sets: (name -> seed); every generator below takes only this seed
LINE_N, LINE_SLOPE, LINE_INTERCEPT, LINE_NOISE = 40, 0.8, 1.0, 0.3  # x uniform in [0, 3]
BLOBS_N, BLOBS_CENTER, BLOBS_STD = 100, (1.0, 0.6), 1.0  # class 1 at +center, class 0 at -center
MOONS_N, MOONS_NOISE = 64, 0.12
CIRCLES_N, CIRCLES_INNER, CIRCLES_NOISE = 64, 0.5, 0.08
XOR_N, XOR_MARGIN = 64, 0.1
BUILTIN_SEEDS = {"line": 40, "blobs": 41, "moons": 42, "circles": 43, "xor": 44}


class DataError(ValueError):
    """A data file could not be read or checked. `str(err)` is one line naming row and column."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """x [n, 1] (regression) or [n, 2] (classification); y [n] targets or 0/1 labels.

    `source` is a built-in's name or the CSV file's path; `sha256` the file's digest ('' for
    built-ins and edited sets); `columns` the header names.
    """

    x: np.ndarray
    y: np.ndarray
    kind: str
    source: str = ""
    sha256: str = ""
    columns: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def builtin(self) -> bool:
        return self.source in BUILTIN_SEEDS and not self.sha256

    def with_points(self, x: np.ndarray, y: np.ndarray) -> "Dataset":
        """The same kind of set with other points (an edit): no longer a file or a built-in."""
        x = np.asarray(x, dtype=np.float64).reshape(len(y), -1)
        y = np.asarray(y, dtype=np.float64).copy()
        if not (np.abs(x) <= MAX_VALUE).all() or not (np.abs(y) <= MAX_VALUE).all():
            raise DataError(f"a point is not finite or too large: {too_large()}")
        return Dataset(x, y, self.kind, "edited", "", self.columns)


# ----------------------------------------------------------------------------------------
# Built-ins
# ----------------------------------------------------------------------------------------
def _line(rng: np.random.Generator) -> Dataset:
    x = rng.uniform(0.0, 3.0, LINE_N)
    y = LINE_SLOPE * x + LINE_INTERCEPT + LINE_NOISE * rng.standard_normal(LINE_N)
    return Dataset(x[:, None], y, REGRESSION, "line", "", ("x", "y"))


def _blobs(rng: np.random.Generator) -> Dataset:
    half = BLOBS_N // 2
    labels = np.repeat([1.0, 0.0], [half, BLOBS_N - half])
    sign = 2.0 * labels - 1.0
    x = sign[:, None] * np.array(BLOBS_CENTER) + BLOBS_STD * rng.standard_normal((BLOBS_N, 2))
    return Dataset(x, labels, CLASSIFICATION, "blobs", "", ("x1", "x2", "label"))


def _moons(rng: np.random.Generator) -> Dataset:
    """Two interleaving half circles (as scikit-learn's make_moons), centred on the origin."""
    half = MOONS_N // 2
    t0 = np.linspace(0.0, np.pi, half)
    t1 = np.linspace(0.0, np.pi, MOONS_N - half)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    x = np.vstack([upper, lower]) - np.array([0.5, 0.25])
    x += MOONS_NOISE * rng.standard_normal(x.shape)
    labels = np.repeat([0.0, 1.0], [half, MOONS_N - half])
    return Dataset(x, labels, CLASSIFICATION, "moons", "", ("x1", "x2", "label"))


def _circles(rng: np.random.Generator) -> Dataset:
    half = CIRCLES_N // 2
    t = rng.uniform(0.0, 2.0 * np.pi, CIRCLES_N)
    r = np.where(np.arange(CIRCLES_N) < half, 1.0, CIRCLES_INNER)
    x = np.column_stack([r * np.cos(t), r * np.sin(t)]) + CIRCLES_NOISE * rng.standard_normal((CIRCLES_N, 2))
    labels = (np.arange(CIRCLES_N) >= half).astype(np.float64)  # inner circle = class 1
    return Dataset(x, labels, CLASSIFICATION, "circles", "", ("x1", "x2", "label"))


def _xor(rng: np.random.Generator) -> Dataset:
    x = rng.uniform(-1.0, 1.0, (XOR_N, 2))
    x += np.sign(x) * XOR_MARGIN  # a gap along both axes
    labels = (x[:, 0] * x[:, 1] > 0).astype(np.float64)
    return Dataset(x, labels, CLASSIFICATION, "xor", "", ("x1", "x2", "label"))


_MAKERS = {"line": _line, "blobs": _blobs, "moons": _moons, "circles": _circles, "xor": _xor}


def builtin(name: str) -> Dataset:
    """The built-in data set `name` (line, blobs, moons, circles, xor), always the same numbers."""
    if name not in _MAKERS:
        raise DataError(f"unknown data set '{name}'; built-ins: {', '.join(_MAKERS)} (or a .csv file)")
    return _MAKERS[name](np.random.default_rng(BUILTIN_SEEDS[name]))


# ----------------------------------------------------------------------------------------
# CSV
# ----------------------------------------------------------------------------------------
def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes (OSError when it cannot be read, or is not a regular
    file: a pipe or a device would block or never end)."""
    return hashlib.sha256(_read_regular(Path(path), MAX_FILE_BYTES + 1)).hexdigest()


def _read_regular(p: Path, limit: int) -> bytes:
    """At most `limit` bytes of the regular file p; OSError for a pipe, device or socket (a
    FIFO would block the window, /dev/zero never end)."""
    if not stat.S_ISREG(p.stat().st_mode):
        raise OSError(errno.EINVAL, "not a regular file (a pipe, device or socket)")
    with open(p, "rb") as f:
        return f.read(limit)


def read_csv(path: str | os.PathLike) -> Dataset:
    """Read `x,y` (regression) or `x1,x2,label` (classification, label 0 or 1) with a header row.

    Raises DataError with one line: `<file>: row R, column C (name): <problem>`; rows count
    the lines of the file from 1 (the header), columns from 1.
    """
    p = Path(path)
    name = p.name or str(p)
    if p.is_dir():
        raise DataError(f"{name}: is a folder, not a CSV file")
    try:
        too_big = p.stat().st_size > MAX_FILE_BYTES
        raw = b"" if too_big else _read_regular(p, MAX_FILE_BYTES + 1)  # + 1: it grew past
        if too_big or len(raw) > MAX_FILE_BYTES:
            raise DataError(f"{name}: larger than {MAX_FILE_BYTES // 2**20} MiB; at most {MAX_ROWS:,} rows")
    except OSError as e:
        raise DataError(f"{name}: cannot read: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        row = raw[: e.start].count(b"\n") + 1
        raise DataError(f"{name}: row {row}: not UTF-8 text (bad byte at offset {e.start})") from None
    try:
        x, y, kind, header = _parse(text)
    except DataError as e:
        raise DataError(f"{name}: {e}") from None
    return Dataset(x, y, kind, str(p), hashlib.sha256(raw).hexdigest(), header)


def parse_csv_text(text: str) -> Dataset:
    """`read_csv` for text already in memory (no file name in messages)."""
    x, y, kind, header = _parse(text)
    return Dataset(x, y, kind, "inline", "", header)


def _parse(text: str) -> tuple[np.ndarray, np.ndarray, str, tuple[str, ...]]:
    if "\x00" in text:
        raise DataError("row 1: a NUL character: this is not a text file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as e:
        raise DataError(f"row {reader.line_num}: {e}") from None
    rows = [(i, r) for i, r in rows if any(c.strip() for c in r)]  # blank lines are skipped
    if not rows:
        raise DataError("empty: expected a header row (x,y or x1,x2,label), then data rows")
    line, header = rows[0]
    header = [h.strip() for h in header]
    if len(header) not in (2, 3):
        raise DataError(f"row {line}: the header has {len(header)} columns; expected x,y (regression) "
                        "or x1,x2,label (classification)")
    if all(_is_float(h) for h in header):
        raise DataError(f"row {line}: expected a header row (x,y or x1,x2,label), got numbers")
    data = rows[1:]
    if len(data) < MIN_ROWS:
        raise DataError(f"only {len(data)} data row(s); at least {MIN_ROWS} are needed")
    if len(data) > MAX_ROWS:
        raise DataError(f"{len(data):,} data rows; at most {MAX_ROWS:,}")
    ncol = len(header)
    values = np.empty((len(data), ncol))
    for k, (line, row) in enumerate(data):
        if len(row) != ncol:
            raise DataError(f"row {line}: {len(row)} columns, the header has {ncol} ({','.join(header)})")
        for c, cell in enumerate(row):
            values[k, c] = _cell(cell, line, c, header[c])
    if ncol == 3:
        labels = values[:, 2]
        bad = np.flatnonzero((labels != 0.0) & (labels != 1.0))
        if len(bad):
            line = data[int(bad[0])][0]
            raise DataError(f"row {line}, column 3 ({header[2]}): a label must be 0 or 1, got "
                            f"{data[int(bad[0])][1][2].strip()!r}")
        return values[:, :2].copy(), labels.copy(), CLASSIFICATION, tuple(header)
    return values[:, :1].copy(), values[:, 1].copy(), REGRESSION, tuple(header)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _cell(cell: str, line: int, col: int, name: str) -> float:
    text = cell.strip()
    where = f"row {line}, column {col + 1} ({name})"
    if not text:
        raise DataError(f"{where}: empty")
    try:
        v = float(text)
    except ValueError:
        raise DataError(f"{where}: {text[:40]!r} is not a number") from None
    if not math.isfinite(v):
        raise DataError(f"{where}: {text!r} is not a finite number")
    if abs(v) > MAX_VALUE:
        raise DataError(f"{where}: {text[:40]!r} is too large: {too_large()}")
    return v


def too_large() -> str:
    """Why a value past ±MAX_VALUE is refused (the end of a one-line message)."""
    return f"its square overflows, so the loss is not finite there (at most ±{MAX_VALUE:g})"


def load(spec: str) -> Dataset:
    """A built-in's name (line, blobs, moons, circles, xor) or the path of a CSV file."""
    if spec in _MAKERS and not Path(spec).exists():
        return builtin(spec)
    return read_csv(spec)
