"""muon against a scalar transcription of torch.optim.Muon (_single_tensor_muon and
_zeropower_via_newtonschulz in torch/optim/_muon.py) for a 1x2 parameter, with its own
bfloat16 emulation: every float32 result computed in double and rounded by np.float32
(double rounding is innocuous for + - * / sqrt since 53 >= 2 x 24 + 2), every bf16 result
by frexp and Python's round (ties to even) to 8 significant bits -- no bit tricks shared
with the program's version."""
from __future__ import annotations

import math

import numpy as np
import pytest

from sim.data.catalog import get_potential
from sim.rules.torch_optim import muon
from tests.rule_harness import RuleStandIn, dropped_in_two_groups, make_state


def f32(x: float) -> float:
    return float(np.float32(x))


def bf(x: float) -> float:
    """x (a float32 value) rounded to bfloat16: 8 significant bits, nearest, ties to even."""
    if x == 0 or not math.isfinite(x):
        return x
    m, e = math.frexp(x)  # x = m 2^e, 0.5 <= |m| < 1
    return math.ldexp(round(m * 256.0), e - 8)


def to_bf16(x: float) -> float:
    """torch's Tensor.bfloat16() of a float64 value: through float32 (c10 casts via float)."""
    return bf(f32(x))


def torch_lerp(a: float, b: float, w: float) -> float:
    return a + w * (b - a) if abs(w) < 0.5 else b - (b - a) * (1 - w)


def ref_newton_schulz(G, ns_coefficients=(3.4445, -4.7750, 2.0315), ns_steps=5, eps=1e-7):
    a, b, c = (f32(v) for v in ns_coefficients)  # python scalars enter bf16 ops as float
    X = [to_bf16(G[0]), to_bf16(G[1])]  # ortho_grad = grad.bfloat16() (1 x 2: no transpose)
    norm = bf(f32(math.sqrt(f32(X[0] * X[0] + X[1] * X[1]))))  # .norm(): float acc, sqrt
    norm = max(norm, to_bf16(eps))  # .clamp(min=eps)
    X = [bf(f32(x / norm)) for x in X]  # div_
    for _ in range(ns_steps):
        gram = bf(f32(X[0] * X[0] + X[1] * X[1]))  # ortho @ ortho.T, float32 accumulation
        # gram_update = b * gram + c * gram @ gram, i.e. (c * gram) @ gram in Python
        gram_update = bf(f32(bf(f32(b * gram)) + bf(f32(bf(f32(c * gram)) * gram))))
        # ortho = a * ortho + gram_update @ ortho
        X = [bf(f32(bf(f32(a * x)) + bf(f32(gram_update * x)))) for x in X]
    return X


def adjust_lr(lr, adjust_lr_fn, shape=(1, 2)):
    A, B = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, A / B))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(A, B))
    else:
        ratio = 1.0
    return lr * ratio


def reference_path(V, start, ticks, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                   ns_coefficients=(3.4445, -4.7750, 2.0315), eps=1e-7, ns_steps=5,
                   adjust_lr_fn=None):
    p = [float(start[0]), float(start[1])]
    buf = [0.0, 0.0]
    path = []
    for _ in range(ticks):
        g = [float(v) for v in V.grad(np.array([p]))[0]]
        buf = [torch_lerp(buf[i], g[i], 1 - momentum) for i in range(2)]  # buf.lerp_(grad, 1-m)
        update = [torch_lerp(g[i], buf[i], momentum) for i in range(2)] if nesterov else list(buf)
        O = ref_newton_schulz(update, ns_coefficients, ns_steps, eps)
        adjusted_lr = adjust_lr(lr, adjust_lr_fn)
        p = [x * (1 - lr * weight_decay) for x in p]  # param.mul_(1 - lr * weight_decay)
        p = [p[i] + (-adjusted_lr) * O[i] for i in range(2)]  # param.add_(update, alpha=-lr')
        path.append(tuple(p))
    return np.array(path)


def test_bf16_rounding_against_frexp_rounding():
    rng = np.random.default_rng(0)
    x = (rng.normal(size=20000) * 10.0 ** rng.uniform(-20, 20, 20000)).astype(np.float32)
    # exact ties: 8 significant bits plus a half
    ties = (rng.integers(128, 256, 2000) * 2 + 1).astype(np.float32) * np.float32(2.0**-9)
    x = np.concatenate([x, ties, -ties, [0.0, 1.0, 1 + 2**-8, 1 + 3 * 2**-8]]).astype(np.float32)
    got = muon.bf16_round(x.copy())
    want = np.array([bf(float(v)) for v in x])
    np.testing.assert_array_equal(got.astype(np.float64), want)
    assert got[-2] == 1.0 and got[-1] == 1 + 2**-6  # ties go to the even neighbour


def test_newton_schulz_against_the_transcription():
    rng = np.random.default_rng(2)
    u = rng.normal(size=(3000, 2)) * 10.0 ** rng.uniform(-6, 6, (3000, 1))
    u[:5] = [[0.0, 0.0], [1.0, 0.0], [0.0, -3.0], [1e-9, 2e-9], [5.0, 5.0]]
    got = muon.newton_schulz(u).astype(np.float64)
    want = np.array([ref_newton_schulz(row) for row in u])
    np.testing.assert_array_equal(got, want)
    got = muon.newton_schulz(u, (2.0, -1.5, 0.5), 3, 1e-3).astype(np.float64)
    want = np.array([ref_newton_schulz(row, (2.0, -1.5, 0.5), 3, 1e-3) for row in u])
    np.testing.assert_array_equal(got, want)


def test_newton_schulz_is_the_polar_factor_times_about_0_69():
    """For a 1x2 matrix the polar factor is G/|G|; torch's NS5 in exact arithmetic maps the
    singular value 1 to 0.6964 (the quintic iterated five times), bf16 spreads it."""
    s = 1.0
    for _ in range(5):
        s = 3.4445 * s - 4.7750 * s**3 + 2.0315 * s**5
    assert s == pytest.approx(0.69644, abs=1e-5)
    rng = np.random.default_rng(5)
    u = rng.normal(size=(20000, 2))
    o = muon.newton_schulz(u).astype(np.float64)
    norm = np.hypot(o[:, 0], o[:, 1])
    assert 0.64 < norm.min() and norm.max() < 0.81 and abs(norm.mean() - s) < 0.02
    cos = (o * u).sum(axis=1) / (norm * np.hypot(u[:, 0], u[:, 1]))
    assert np.degrees(np.arccos(np.minimum(cos, 1.0))).max() < 2.5


SETTINGS = [
    (1e-3, {}),  # torch's defaults
    (1e-2, {"nesterov": False, "weight_decay": 0.0, "adjust_lr_fn": "match_rms_adamw"}),
    (3e-3, {"momentum": 0.3, "ns_steps": 3, "ns_coefficients": (2.0, -1.5, 0.5)}),  # lerp's other branch
]
STARTS = {"rosenbrock": [(-1.5, 2.0), (0.3, -0.8)], "himmelblau": [(0.2, 0.1), (-4.0, 4.5)]}


@pytest.mark.parametrize("lr,options", SETTINGS)
@pytest.mark.parametrize("potential", ["rosenbrock", "himmelblau"])
def test_muon_equals_torch_step_for_step(potential, lr, options):
    """2,000 steps; both sides round identically, so the paths agree to 1e-10 even where a
    sign-like rule near a minimum would amplify a stray ulp."""
    V = get_potential(potential)
    r = RuleStandIn(muon.SPEC, lr, **options)
    starts = STARTS[potential]
    s = make_state(muon.SPEC, r, starts)
    refs = [reference_path(V, st, 2000, lr, **options) for st in starts]
    for k in range(2000):
        muon.step(r, s, V, None)
        for i in range(len(starts)):
            np.testing.assert_allclose(s.pos[i], refs[i][k], rtol=1e-10, atol=1e-13,
                                       err_msg=f"{potential} {options} ball {i} step {k}")


def test_many_balls_dropped_at_different_times_equal_the_reference():
    V = get_potential("himmelblau")
    rng = np.random.default_rng(7)
    early, late = rng.uniform(-5, 5, (20, 2)), rng.uniform(-5, 5, (20, 2))
    r = RuleStandIn(muon.SPEC, 0.02)
    s = dropped_in_two_groups(muon.step, muon.SPEC, r, V, early, late, 30, 50)
    for i, st in enumerate(early):
        np.testing.assert_allclose(s.pos[i], reference_path(V, st, 80, 0.02)[-1], rtol=1e-10)
    for i, st in enumerate(late):
        np.testing.assert_allclose(s.pos[20 + i], reference_path(V, st, 50, 0.02)[-1], rtol=1e-10)


def test_the_table_gives_the_loops_bits():
    """The tabulated Newton-Schulz equals the loop bit for bit, over scales from 1e-30 to
    1e30, one entry much smaller than the other, both zero (the loop's fallback), and other
    coefficients (their own table)."""
    rng = np.random.default_rng(9)
    u = rng.normal(size=(200_000, 2)) * 10.0 ** rng.uniform(-30, 30, (200_000, 1))
    u[:5000, 1] *= 10.0 ** rng.uniform(-30, 0, 5000)
    u[5000:5010] = 0.0
    with np.errstate(all="ignore"):
        for coeffs, steps in [((3.4445, -4.7750, 2.0315), 5), ((2.0, -1.5, 0.5), 3)]:
            a = muon.newton_schulz(u, coeffs, steps)
            b = muon.newton_schulz(u, coeffs, steps, table=False)
            np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))
    assert (a[5000:5010] == 0).all()
