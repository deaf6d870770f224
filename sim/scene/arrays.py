"""Big particle arrays in scene files, fast: written in chunks, read with numpy.

A scene with a million balls is hundreds of megabytes of TOML. A general TOML parser turns
every number into a Python object (seconds per million, gigabytes of memory); so the reader
first cuts the arrays of the `[particles]` table out of the file's bytes, checks their
structure with numpy (brackets, one comma inside every [x, y] pair, only number characters)
and counts the rows *before* parsing a single number, then parses them in C. The rest of the
file (a few hundred bytes) goes to tomllib as before. Anything the fast reader is not sure
of is left in place for tomllib, so the messages for hand-edited files stay exact.

The writer gives exactly the bytes `sim.scene.toml_text.dumps` gives for the same lists, in chunks of
CHUNK_ROWS rows so a background thread never holds the interpreter for long.
"""
from __future__ import annotations

import re
from typing import Callable

import numpy as np

CHUNK_ROWS = 8192  # rows formatted per step (a few ms: the window keeps drawing meanwhile)
SCAN_BYTES = 1 << 24  # bytes scanned per step when looking for the end of an array
MAX_HEADER_HITS = 1000  # places "particles" may appear before the fast reader gives up
MAX_INT_DIGITS = 18  # an integer with more digits may not fit 64 bits: tomllib decides
STATUS_WORDS = ("alive", "diverged", "undefined")

_HEADER = re.compile(rb"^[ \t]*\[[ \t]*particles[ \t]*\][ \t]*(?:#[^\n]*)?\r?$", re.M)
_SKIP = re.compile(rb"(?:[ \t\r\n]+|#[^\n]*)*")
_KEY = re.compile(rb"([A-Za-z0-9_]+)[ \t]*=[ \t]*")
_SCALAR_LINE = re.compile(rb"[-+0-9A-Za-z_.\" \t]*(?:#[^\n]*)?\r?(?:\n|$)")


_WS = b" \t\r\n"
FLOAT_CHARS = b"0123456789.eE+-,[]" + _WS
INT_CHARS = b"0123456789+-,[]" + _WS
STATUS_CHARS = b"abcdefghijklmnopqrstuvwxyz\",[]" + _WS


def _only(seg: bytes, chars: bytes) -> bool:
    """Whether seg holds no byte outside chars (in C: delete the allowed ones)."""
    return not seg.translate(None, chars)


class ArrayError(ValueError):
    """A fast-read array is well formed but not acceptable (e.g. too many rows)."""


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

def pairs_text(arr: np.ndarray, progress: Callable[[int], None] | None = None) -> str:
    """A float array [n, 2] as the TOML text `dumps` writes for its `.tolist()` (one `[x, y]`
    row per line), built CHUNK_ROWS rows at a time; `progress(rows)` after each chunk.
    ValueError for nan or inf (a scene never holds them)."""
    return _chunked_text(arr, "], [", "],\n  [", progress)


def scalars_text(arr: np.ndarray, progress: Callable[[int], None] | None = None) -> str:
    """An int or float array [n] as a TOML array, one value per line, CHUNK_ROWS at a time;
    `progress(rows)` after each chunk. ValueError for nan or inf."""
    return _chunked_text(arr, ", ", ",\n  ", progress)


def _chunked_text(arr: np.ndarray, sep: str, row_sep: str,
                  progress: Callable[[int], None] | None) -> str:
    """The array's repr, one row per line (`sep` between rows becomes `row_sep`)."""
    parts = ["[\n"]
    for i in range(0, len(arr), CHUNK_ROWS):
        chunk = arr[i: i + CHUNK_ROWS]
        text = repr(chunk.tolist())[1:-1].replace(sep, row_sep)
        if "n" in text:  # nan, inf
            raise ValueError("cannot write nan or inf: a scene never holds them")
        parts.append(f"  {text},\n")
        if progress is not None:
            progress(len(chunk))
    parts.append("]")
    return "".join(parts)


def words_text(words: list[str]) -> str:
    """Status names (plain words, nothing to escape) as a TOML array, one per line."""
    if any(not w.isalpha() for w in set(words)):
        raise ValueError("status names must be plain words")
    return '[\n  "' + '",\n  "'.join(words) + '",\n]' if words else "[]"


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------

def _array_end(data: bytes, start: int) -> int:
    """Index of the `]` that closes the `[` at data[start], or -1; scanned in numpy blocks."""
    depth = 0
    i = start
    n = len(data)
    while i < n:
        j = min(n, i + SCAN_BYTES)
        b = np.frombuffer(data, np.uint8, j - i, i)
        step = (b == 0x5B).astype(np.int32) - (b == 0x5D).astype(np.int32)
        d = np.cumsum(step) + depth
        hit = np.flatnonzero(d <= 0)
        if len(hit):
            return i + int(hit[0])
        depth = int(d[-1])
        i = j
    return -1


def _numbers(seg: bytes, dtype: type, count: int) -> np.ndarray | None:
    """Parse comma-separated numbers (brackets ignored); None unless exactly `count`."""
    flat = seg.translate(_NO_BRACKETS).strip()
    if flat.endswith(b","):
        flat = flat[:-1].rstrip()
    if count == 0:
        return np.zeros(0, dtype=dtype) if not flat else None
    try:
        out = np.fromstring(flat, dtype=dtype, sep=",")
    except ValueError:
        return None
    return out if len(out) == count else None


_NO_BRACKETS = bytes.maketrans(b"[]", b"  ")


def _pairs(seg: bytes) -> np.ndarray | None:
    """`[[x, y], ...]` -> float64 [n, 2], or None when the layout is anything else."""
    if not _only(seg, FLOAT_CHARS):
        return None
    b = np.frombuffer(seg, np.uint8)
    opens = np.flatnonzero(b == 0x5B)
    closes = np.flatnonzero(b == 0x5D)
    n = len(opens) - 1
    if n < 0 or len(closes) != n + 1 or opens[0] != 0 or closes[-1] != len(b) - 1:
        return None
    if n and not (np.all(opens[1:] < closes[:-1]) and np.all(closes[:-2] < opens[2:])):
        return None  # rows must be [ ... ] one after another, never nested
    commas = np.flatnonzero(b == 0x2C)
    row = np.searchsorted(opens[1:], commas, side="right") - 1
    if (row < 0).any():
        return None  # a comma before the first row
    inside = commas < closes[row]
    if n and not np.array_equal(np.bincount(row[inside], minlength=n), np.ones(n, dtype=np.int64)):
        return None  # exactly one comma inside every pair
    between = np.bincount(row[~inside], minlength=max(n, 1))
    if n and (between[: n - 1] != 1).any() or between[n - 1:].sum() > 1:
        return None
    return _counted(n, seg, np.float64, pairs=True)


def _counted(n: int, seg: bytes, dtype: type, pairs: bool) -> np.ndarray | None:
    """The n rows of seg parsed, after checking n against the ball limit."""
    from sim.core.particles import MAX_PARTICLES

    if n > MAX_PARTICLES:  # counted before a single number is parsed
        raise ArrayError(f"at most {MAX_PARTICLES:,} particles, got {n:,}")
    out = _numbers(seg, dtype, 2 * n if pairs else n)
    return None if out is None else (out.reshape(n, 2) if pairs else out)


def _scalars(seg: bytes, integer: bool) -> np.ndarray | None:
    """`[a, b, ...]` -> int64 or float64 [n], or None when the layout is anything else."""
    if not _only(seg, INT_CHARS if integer else FLOAT_CHARS):
        return None
    if seg.count(b"[") != 1 or seg.count(b"]") != 1 or seg[:1] != b"[" or seg[-1:] != b"]":
        return None
    body = seg[1:-1].strip()
    if body.endswith(b","):
        body = body[:-1]
    n = 0 if not body.strip() else body.count(b",") + 1
    if integer and _LONG_INT.search(body):
        return None  # may not fit 64 bits: tomllib reads it and the checks say so
    return _counted(n, seg, np.int64 if integer else np.float64, pairs=False)


_LONG_INT = re.compile(rb"[0-9]{%d}" % (MAX_INT_DIGITS + 1))


def _status(seg: bytes) -> np.ndarray | None:
    """`["alive", "diverged", ...]` -> uint8 codes [n] (index in STATUS_WORDS), or None."""
    if not _only(seg, STATUS_CHARS) or seg.count(b"[") != 1 or seg.count(b"]") != 1 \
            or seg[:1] != b"[" or seg[-1:] != b"]":
        return None
    body = seg[1:-1].strip()
    if body.endswith(b","):
        body = body[:-1]
    words = body.split(b",") if body.strip() else []
    codes = {f'"{w}"'.encode(): i for i, w in enumerate(STATUS_WORDS)}
    from sim.core.particles import MAX_PARTICLES

    if len(words) > MAX_PARTICLES:
        raise ArrayError(f"at most {MAX_PARTICLES:,} particles, got {len(words):,}")
    try:
        return np.array([codes[w.strip()] for w in words], dtype=np.uint8)
    except KeyError:
        return None


PAIR_KEYS = ("pos", "vel", "origin", "origin_vel", "prev", "grad", "buf_a", "buf_b")
INT_KEYS = ("rule", "steps")
FLOAT_KEYS = ("energy0", "dissipated")


def _parse(key: bytes, seg: bytes) -> np.ndarray | None:
    k = key.decode()
    if k in PAIR_KEYS:
        return _pairs(seg)
    if k in INT_KEYS:
        return _scalars(seg, integer=True)
    if k in FLOAT_KEYS:
        return _scalars(seg, integer=False)
    if k == "status":
        return _status(seg)
    return None


def _candidates(data: bytes, v: int):
    """Where the array starting at data[v] may end: its own line, the writer's layout (a line
    holding only `]`), else the bracket that really closes it (a full scan)."""
    eol = data.find(b"\n", v)
    eol = len(data) if eol < 0 else eol
    line_end = data.rfind(b"]", v, eol)
    if line_end > v and data.count(b"[", v, line_end + 1) == data.count(b"]", v, line_end + 1):
        yield line_end
    e = data.find(b"\n]", v)
    if e >= 0:
        yield e + 1
    yield _array_end(data, v)


def _check_count(data: bytes, key: bytes, v: int, end: int) -> None:
    """ArrayError when the array data[v:end+1] holds more rows than any scene may, counted
    without copying or parsing it (rows: its inner `[`; scalars: its commas)."""
    from sim.core.particles import MAX_PARTICLES

    pairs = key.decode() in PAIR_KEYS
    n = data.count(b"[", v + 1, end) if pairs else data.count(b",", v, end)
    if n - 1 > MAX_PARTICLES:
        raise ArrayError(f"at most {MAX_PARTICLES:,} particles, got {n:,}"
                         + ("" if pairs else " or so"))


def _read_array(data: bytes, key: bytes, v: int) -> tuple[int, np.ndarray | None]:
    """(index of the closing bracket, the parsed array or None); (-1, None): stop reading."""
    tried: set[int] = set()
    for end in _candidates(data, v):
        if end < 0 or end in tried:
            continue
        tried.add(end)
        _check_count(data, key, v, end)
        seg = data[v:end + 1]
        if b"#" in seg:
            return -1, None  # a comment inside: tomllib reads the rest
        arr = _parse(key, seg)
        if arr is not None:
            return end, arr
    end = _array_end(data, v)
    return end, None


def _header_end(data: bytes) -> int | None:
    """Where the one `[particles]` header line ends (None: none, several, or too many places
    to look at): found with bytes.find, the lines around each hit checked with a regex."""
    ends: list[int] = []
    i = data.find(b"particles")
    for _ in range(MAX_HEADER_HITS):
        if i < 0:
            return ends[0] if len(ends) == 1 else None
        m = _HEADER.match(data, data.rfind(b"\n", 0, i) + 1)
        if m is not None:
            ends.append(m.end())
        i = data.find(b"particles", i + 1)
    return None


def extract(data: bytes) -> tuple[bytes, dict[str, np.ndarray]]:
    """Cut the arrays of the file's `[particles]` table out of `data` (a scene file's bytes).

    Returns (the rest of the file, {key: array}): pairs float64 [n, 2], rule and steps int64
    [n], energy0 and dissipated float64 [n], status uint8 [n] (index in STATUS_WORDS). Keys the
    fast reader is unsure of stay in the text. ArrayError: more rows than any scene may hold.
    """
    pos = _header_end(data)
    if pos is None:
        return data, {}
    cuts: list[tuple[int, int]] = []
    out: dict[str, np.ndarray] = {}
    while True:
        pos = _SKIP.match(data, pos).end()
        if pos >= len(data) or data[pos:pos + 1] == b"[":
            break  # the next table
        m = _KEY.match(data, pos)
        if m is None:
            break
        v = m.end()
        if data[v:v + 1] != b"[":
            line = _SCALAR_LINE.match(data, v)
            if line is None:
                break  # a multi-line string or an inline table: tomllib reads the rest
            pos = line.end()
            continue
        key = m.group(1)
        if key.decode() in out:
            break
        end, arr = _read_array(data, key, v)
        if end < 0:
            break
        if arr is not None:
            out[key.decode()] = arr
            cuts.append((pos, end + 1))
        pos = end + 1
    if not cuts:
        return data, {}
    rest, last = [], 0
    for a, b in cuts:
        rest.append(data[last:a])
        last = b
    rest.append(data[last:])
    return b"".join(rest), out
