"""muon: torch.optim.Muon (torch/optim/_muon.py, `_single_tensor_muon`) for the ball's [x, y]
as a 1x2 matrix parameter (float64), vectorized over balls.

    buf.lerp_(g, 1 - momentum)                        # B = momentum B + (1 - momentum) g
    update = g.lerp(buf, momentum) if nesterov else buf
    O = NS5(update)                                   # Newton-Schulz, in bfloat16
    param.mul_(1 - lr weight_decay)                   # decoupled weight decay
    param.add_(O, alpha=-lr x ratio)                  # ratio: 1 for "original"/None (1x2:
                                                      # sqrt(max(1, 1/2))), 0.2 sqrt(2) for
                                                      # "match_rms_adamw"

torch's lerp: a + w (b - a) when |w| < 0.5, else b - (b - a)(1 - w) (both branches kept).

Newton-Schulz in bfloat16, emulated exactly where torch's CPU kernels round: `grad.bfloat16()`
converts float64 -> float32 -> bf16 (c10 casts through float: two roundings); every bf16
elementwise op computes in float32 and rounds the result to bf16 (round to nearest even), a
Python scalar coefficient entering as float32 (`original_scalar_value<float>`); the 1x2 @ 2x1
and 1x1 products accumulate in float32 and round once to bf16; norm() sums the float32
squares, takes the float32 sqrt and rounds; clamp(min=eps) compares with bf16(eps). Python's
`c * G @ G` is `(c * G) @ G` (same precedence, left to right): two roundings, kept.
What may differ from torch's own output: the float64 steps outside NS (lerp, weight decay,
param.add_) may be fused multiply-adds in torch's compiled kernels (an ulp of a float64, once
per tick); inside NS all products of two bf16 numbers are exact in float32 and every sum has
one rounding, so fma cannot change them, but a*x (a float32 coefficient times bf16) is
rounded to float32 and then to bf16 here as in torch's scalar path. A build whose bf16 matmul
rounded partial sums to bf16 (old cpublas paths) would differ in the gram entry.

For a 1x2 matrix the orthogonalization of G is G/|G| (its polar factor; singular value 1).
NS5 with torch's coefficients (3.4445, -4.7750, 2.0315) does not converge to 1: from |X| = 1
the singular value goes 1 -> 0.7010 -> 1.1136 -> 0.7207 -> 1.0900 -> 0.6964 in exact
arithmetic, and bf16 rounding spreads it: over 10^5 random directions and scales |O| lies in
[0.654, 0.797] (mean 0.690) and O's direction is G's within 2.0 degrees (mean 0.37). So O is
G/|G| times ~0.69, not the polar factor itself. Physically a speed limit like Lion or sign
descent: each tick moves the ball ~0.69 lr x ratio along the momentum's direction, whatever
the force's size; the momentum only steers, and weight decay is a spring outside it.
"""
from __future__ import annotations

import math

import numpy as np

from sim.rules.base import Family, ParamSpec, Reading, RuleSpec

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
BF16_MASK = np.uint32(0xFFFF0000)
BF16_HALF = np.uint32(0x7FFF)
ONE = np.uint32(1)
SIXTEEN = np.uint32(16)


def bf16_round(x: np.ndarray, scratch: np.ndarray | None = None) -> np.ndarray:
    """Round float32 x in place to bfloat16 (nearest, ties to even: c10's
    round_to_nearest_even on the float bits) and return it; NaN stays NaN, inf stays inf.
    scratch: an optional uint32 array of x's shape."""
    bits = x.view(np.uint32)
    r = np.right_shift(bits, SIXTEEN, out=scratch)
    r &= ONE
    r += BF16_HALF
    bits += r
    bits &= BF16_MASK
    return x


def _normalize(u: np.ndarray, eps: float) -> np.ndarray:
    """ortho = grad.bfloat16(); ortho.div_(ortho.norm().clamp(min=eps)): u [n, 2] float64 ->
    [n, 2] float32 holding bf16 values."""
    n = len(u)
    x = u.astype(np.float32)  # grad.bfloat16(): double -> float -> bf16
    bf16_round(x)
    sq = np.multiply(x, x)
    g = sq[:, 0] + sq[:, 1]
    np.sqrt(g, out=g)
    sc = np.empty(n, dtype=np.uint32)
    bf16_round(g, sc)  # ortho_grad.norm()
    e = bf16_round(np.array([eps], dtype=np.float32))
    np.maximum(g, e, out=g)  # .clamp(min=eps)
    x /= g[:, None]
    return bf16_round(x)  # div_


def _iterate(x: np.ndarray, coefficients, steps: int) -> np.ndarray:
    """The Newton-Schulz loop on bf16 values x [n, 2] float32, in place."""
    a, b, c = (np.float32(v) for v in coefficients)
    n = len(x)
    sc = np.empty(n, dtype=np.uint32)
    sc2 = np.empty((n, 2), dtype=np.uint32)
    g = np.empty(n, dtype=np.float32)
    t = np.empty(n, dtype=np.float32)
    gu = np.empty(n, dtype=np.float32)
    y = np.empty((n, 2), dtype=np.float32)
    x0, x1 = x[:, 0], x[:, 1]
    for _ in range(steps):
        np.multiply(x0, x0, out=g)
        np.multiply(x1, x1, out=t)
        g += t
        bf16_round(g, sc)  # gram = X @ X.T
        np.multiply(g, b, out=gu)
        bf16_round(gu, sc)  # b * gram
        np.multiply(g, c, out=t)
        bf16_round(t, sc)  # c * gram
        t *= g
        bf16_round(t, sc)  # (c * gram) @ gram
        gu += t
        bf16_round(gu, sc)  # gram_update
        np.multiply(x, gu[:, None], out=y)
        bf16_round(y, sc2)  # gram_update @ X
        x *= a
        bf16_round(x, sc2)  # a * X
        x += y
        bf16_round(x, sc2)  # a * X + gram_update @ X
    return x


# The loop's output for every X it can be given, tabulated. After the normalization |X| = 1 to
# bf16 precision, so the larger entry (by magnitude) is within a few bf16 steps of
# sqrt(1 - smaller^2): the table holds, for each smaller entry's bit pattern up to SMALL_TOP
# (0.75) and WINDOW patterns of the larger one around that, the loop's two outputs. The loop is
# odd in each entry (rounding is symmetric, gram sums squares) and symmetric in the two, so
# signs and order come back exactly; a pair outside the table (a zero gradient) takes the loop.
SMALL_TOP = 0x3F40  # bf16 bits of 0.75
WINDOW = 16
_TABLES: dict = {}


def _table(coefficients, steps: int):
    key = (tuple(float(v) for v in coefficients), int(steps))
    if key not in _TABLES:
        small = np.arange(SMALL_TOP + 1, dtype=np.uint32)
        s = np.left_shift(small, SIXTEEN).view(np.float32)
        e = np.sqrt(np.maximum(1.0 - s.astype(np.float64) ** 2, 0.0)).astype(np.float32)
        expect = np.right_shift(bf16_round(e).view(np.uint32), SIXTEEN).astype(np.int32)
        big = expect[:, None] + np.arange(-(WINDOW // 2), WINDOW // 2, dtype=np.int32)
        big = np.maximum(big, 0).astype(np.uint32)
        pairs = np.empty((big.size, 2), dtype=np.float32)
        pairs[:, 0] = np.left_shift(big.reshape(-1), SIXTEEN).view(np.float32)
        pairs[:, 1] = np.repeat(s, WINDOW)
        out = _iterate(pairs, key[0], key[1])
        _TABLES[key] = (expect, out[:, 0].copy(), out[:, 1].copy())
    return _TABLES[key]


def newton_schulz(u: np.ndarray, coefficients=NS_COEFFICIENTS, steps: int = 5,
                  eps: float = 1e-7, table: bool = True) -> np.ndarray:
    """torch's _zeropower_via_newtonschulz for n 1x2 matrices at once: u [n, 2] float64 ->
    [n, 2] float32 holding the bf16 result (use_addmm False). table=False runs the loop on
    every row (the table gives the same bits; tests compare both)."""
    x = _normalize(u, eps)
    if not table:
        return _iterate(x, coefficients, steps)
    expect, t_big, t_small = _table(coefficients, steps)
    bits = x.view(np.uint32)
    sign = bits & np.uint32(0x80000000)
    mag = np.right_shift(bits, SIXTEEN).astype(np.int32)
    mag &= 0x7FFF
    m0, m1 = mag[:, 0], mag[:, 1]
    first_big = m0 >= m1
    small = np.minimum(m0, m1)
    big = np.maximum(m0, m1)
    np.minimum(small, SMALL_TOP, out=small)
    off = big - expect[small]
    off += WINDOW // 2
    ok = (off >= 0) & (off < WINDOW) & (np.minimum(m0, m1) <= SMALL_TOP)
    idx = small * WINDOW
    idx += np.where(ok, off, 0)
    fb, fs = t_big[idx], t_small[idx]
    out = np.empty_like(x)
    out[:, 0] = np.where(first_big, fb, fs)
    out[:, 1] = np.where(first_big, fs, fb)
    out.view(np.uint32)[...] ^= sign  # odd in each entry
    if not ok.all():
        rows = np.flatnonzero(~ok)
        out[rows] = _iterate(x[rows].copy(), coefficients, steps)
    return out


def lr_ratio(adjust_lr_fn) -> float:
    """torch's _adjust_lr factor for a 1x2 parameter (A = 1, B = 2)."""
    A, B = 1, 2
    if adjust_lr_fn in (None, "original"):
        return math.sqrt(max(1, A / B))
    if adjust_lr_fn == "match_rms_adamw":
        return 0.2 * math.sqrt(max(A, B))
    return 1.0


def _lerp(a: np.ndarray, b: np.ndarray, w: float, out: np.ndarray) -> np.ndarray:
    """torch.lerp(a, b, w) into out (out may be a or b)."""
    diff = b - a
    if abs(w) < 0.5:
        diff *= w
        return np.add(a, diff, out=out)
    diff *= 1.0 - w
    return np.subtract(b, diff, out=out)


def step(r, s, V, rng) -> bool:
    """One Muon step per ball: buffer s.buf_a is torch's momentum_buffer."""
    s.steps += 1
    if not len(s.pos):
        return False
    momentum = float(r.opt("momentum"))
    wd = float(r.opt("weight_decay"))
    coeffs = tuple(float(v) for v in r.opt("ns_coefficients"))
    with np.errstate(all="ignore"):
        g = V.grad(s.pos, out=s.tmp)
        buf = s.buf_a
        _lerp(buf, g, 1 - momentum, out=buf)  # buf.lerp_(grad, 1 - momentum)
        if r.opt("nesterov"):
            update = _lerp(g, buf, momentum, out=s.tmp2)  # grad.lerp(buf, momentum)
        else:
            update = buf
        o = newton_schulz(update, coeffs, int(r.opt("ns_steps")), float(r.opt("eps")))
        lr = float(r.lr)
        s.pos *= 1 - lr * wd  # param.mul_(1 - lr * weight_decay)
        alpha = -(lr * lr_ratio(r.opt("adjust_lr_fn")))
        step_ = np.multiply(o, alpha, out=s.tmp, dtype=np.float64)
        s.pos += step_  # param.add_(update, alpha=-adjusted_lr)
    return False


def _reading(r) -> Reading:
    lr = float(r.lr) * lr_ratio(r.opt("adjust_lr_fn"))
    return Reading(
        "A speed limit like Lion or sign descent: every tick the ball moves 0.69 x lr (0.65 to "
        "0.80: bf16 Newton-Schulz's 5 steps reach 0.696 of the polar factor G/|G|, the unit "
        "vector) along its Nesterov momentum's direction, whatever the force's size; "
        "weight decay is a spring outside it, x <- (1 - lr wd) x.",
        {"speed": 0.6964 * lr, "spring": float(r.lr) * float(r.opt("weight_decay")),
         "momentum": float(r.opt("momentum"))})


SPEC = RuleSpec(
    name="muon",
    family=Family.ADAPTIVE,
    group="adaptive",
    color=(210, 255, 110),
    summary="Muon (torch.optim.Muon): momentum, Newton-Schulz in bfloat16, a 1x2 parameter",
    params=(
        ParamSpec("lr", 1e-3, lo=0.0, lo_ok=False, help="learning rate"),
        ParamSpec("weight_decay", 0.1, float, lo=0.0),
        ParamSpec("momentum", 0.95, float, lo=0.0),
        ParamSpec("nesterov", True, bool),
        ParamSpec("ns_coefficients", NS_COEFFICIENTS, "triple",
                  help="a,b,c of the quintic Newton-Schulz polynomial"),
        ParamSpec("eps", 1e-7, float, lo=0.0, lo_ok=False),
        ParamSpec("ns_steps", 5, int, lo=0, hi=100),
        ParamSpec("adjust_lr_fn", None, str, choices=("original", "match_rms_adamw")),
    ),
    step=step,
    counts_steps=True,
    reading=_reading,
)
