"""Rprop: torch.optim.Rprop, its single-tensor step for one parameter [x, y] per ball.

torch (torch/optim/rprop.py, _single_tensor_rprop), every step:
    f = sign(g * prev);  f[f > 0] = eta_plus;  f[f < 0] = eta_minus;  f[f == 0] = 1
    step_size = clamp(step_size * f, step_size_min, step_size_max)
    g = g where f != eta_minus, else 0        (after a sign flip: no move, and no flip next time)
    param += -sign(g) * step_size;  prev = g
State: prev starts at 0 and step_size at lr (torch.full_like(grad, lr)) when the optimizer
first sees the parameter; later changes of lr do not reach a running ball (torch's quirk:
lr is only the initial step size). Buffers: buf_a = prev, buf_b = step_size. Where g * prev is
NaN torch's factor is NaN; here it is 1 (such a ball has left the landscape and is frozen).
"""
from __future__ import annotations

import numpy as np

from sim.rules.base import Family, ParamSpec, Reading, RuleSpec
from sim.rules.torch_optim.torch_like import fresh_rows


class EtasSpec(ParamSpec):
    """etas: two numbers with torch's check 0 < eta_minus < 1 < eta_plus."""

    def check(self, value):
        lo, hi = super().check(value)
        if not 0.0 < lo < 1.0 < hi:
            raise ValueError(f"--etas must be A,B with 0 < A < 1 < B, got {lo:g},{hi:g}")
        return (lo, hi)


def step(r, s, V, rng) -> bool:
    eta_minus, eta_plus = r.opt("etas")
    lo, hi = r.opt("step_sizes")
    g = V.grad(s.pos, out=s.tmp)
    prev, size = s.buf_a, s.buf_b
    fresh = fresh_rows(s)
    if fresh is not None:
        size[fresh] = r.lr  # state["step_size"] = torch.full_like(grad, lr)
        prev[fresh] = 0.0
    s.steps += 1
    prod = s.tmp2
    np.multiply(g, prev, out=prod)
    flip = prod < 0
    f = np.where(prod > 0, eta_plus, 1.0)  # sign -> etaplus / etaminus / 1 (torch's three masks)
    np.copyto(f, eta_minus, where=flip)
    size *= f
    np.maximum(size, lo, out=size)
    np.minimum(size, hi, out=size)  # step_size.mul_(sign).clamp_(min, max)
    np.copyto(g, 0.0, where=flip)  # grad[sign.eq(etaminus)] = 0 (eta_minus != 1, eta_plus)
    np.copyto(prev, g)  # prev.copy_(grad)
    np.sign(g, out=f)
    f *= size
    s.pos -= f  # param.addcmul_(grad.sign(), step_size, value=-1)
    return False


def reading(r) -> Reading:
    eta_minus, eta_plus = r.opt("etas")
    lo, hi = r.opt("step_sizes")
    text = (f"a speed limit per coordinate that ignores the force's size: each coordinate moves "
            f"its own step size (first lr = {r.lr:.4g}) along -sign(g), x{eta_plus:g} while the force "
            f"keeps its sign, x{eta_minus:g} and a pause when it flips, always within [{lo:g}, {hi:g}]")
    return Reading(text, {"first_step": r.lr, "step_min": lo, "step_max": hi,
                          "eta_minus": eta_minus, "eta_plus": eta_plus})


SPEC = RuleSpec(
    name="rprop",
    family=Family.ADAPTIVE,
    group="adaptive",
    color=(120, 255, 210),
    summary="Rprop: per-coordinate step sizes that grow and shrink with the gradient's sign (torch.optim.Rprop)",
    params=(
        ParamSpec("lr", 1e-2, float, lo=0.0, lo_ok=False, help="the initial step size"),
        EtasSpec("etas", (0.5, 1.2), "pair", help="(eta_minus, eta_plus), 0 < eta_minus < 1 < eta_plus"),
        ParamSpec("step_sizes", (1e-6, 50.0), "pair", lo=0.0, help="(min, max) step size"),
    ),
    step=step,
    counts_steps=True,
    schedulable=False,
    reading=reading,
)
