"""SAM, sharpness-aware minimization (Foret et al. 2021), over heavy-ball SGD, as the widely
used davda54/sam implementation (sam.py, `SAM.first_step` / `second_step`) does it:

    e = rho g / (|g| + 1e-12)            # g = grad V(x); |g| = 0 gives e = 0 (plain heavy ball)
    g' = grad V(x + e)                   # the gradient a step uphill
    torch SGD at x with g': g' <- g' + wd x;  u <- beta u + g';  x <- x - lr u

(torch.optim.SGD with momentum=beta, dampening 0, nesterov off; its first step sets u = g',
which equals beta 0 + g'.) Two gradient evaluations per tick. `adaptive` (ASAM) is not offered.

On a quadratic V = x'Hx/2 the gradient is linear, so g' = Hx + rho H g/|g| = grad(V + rho|grad V|)
exactly (grad |Hx| = H Hx / |Hx|): SAM is heavy ball on V + rho|grad V|, a landscape whose floor
is raised most where the walls are steep. On any V that holds to first order in rho. The map is
not linear (g/|g| is not), so there is no constant rate, except at rho = 0 (heavy ball).
"""
from __future__ import annotations

import numpy as np

from sim.rules.base import Family, ParamSpec, Reading, RuleSpec

NORM_EPS = 1e-12  # davda54/sam: scale = rho / (grad_norm + 1e-12)


def step(r, s, V, rng) -> bool:
    """One SAM tick for every ball. u is buf_a; s.grad and tmp/tmp2 are scratch."""
    lr, beta = r.lr, r.opt("beta")
    rho, wd = r.opt("sam_rho"), r.opt("weight_decay")
    g = V.grad(s.pos, out=s.grad)
    np.multiply(g, g, out=s.tmp)
    norm = s.tmp[:, 0] + s.tmp[:, 1]
    np.sqrt(norm, out=norm)  # torch.norm(stack([g.norm(2)])): sqrt(fl(n^2)) = n exactly
    norm += NORM_EPS
    scale = np.divide(rho, norm, out=norm)  # rho / (grad_norm + 1e-12)
    ahead = np.multiply(g, scale[:, None], out=s.tmp)  # e_w = 1.0 * p.grad * scale
    ahead += s.pos  # p.add_(e_w): climb to "w + e(w)"
    g2 = V.grad(ahead, out=s.grad)  # the closure at w + e(w); then p is restored to w exactly
    if wd != 0.0:
        np.multiply(s.pos, wd, out=s.tmp2)
        g2 += s.tmp2  # SGD: grad = grad.add(param, alpha=weight_decay), at w
    u = s.buf_a
    u *= beta
    u += g2  # buf.mul_(momentum).add_(grad, alpha=1 - dampening), dampening 0
    np.multiply(u, lr, out=s.tmp2)
    s.pos -= s.tmp2  # param.add_(buf, alpha=-lr)
    return False


def _heavy_ball_only(r) -> bool:
    return r.opt("sam_rho") == 0.0


def linear_map(r, lam: float):
    """At rho = 0 SAM is heavy ball on V + wd|x|^2/2: state (x, u), x' = x - lr u', u' = beta u
    + (lam + wd) x. For rho > 0 the step rho g/|g| is not linear: None."""
    if not _heavy_ball_only(r):
        return None
    beta, lr, k = r.opt("beta"), r.lr, lam + r.opt("weight_decay")
    return np.array([[1.0 - lr * k, -lr * beta], [k, beta]])


def modified_loss(r):
    """Heavy ball's backward-error coefficient lr(1+beta)/(4(1-beta)^2) at rho = 0 and wd = 0
    (then SAM is heavy ball on V); otherwise none of the form c|grad V|^2 (first order in rho
    SAM follows V + rho|grad V|, which is not that form)."""
    if not _heavy_ball_only(r) or r.opt("weight_decay") != 0.0:
        return None
    beta = r.opt("beta")
    return r.lr * (1.0 + beta) / (4.0 * (1.0 - beta) ** 2)


def noise_factor(r):
    """Heavy ball's 1/(1 - beta) at rho = 0; for rho > 0 the minibatch noise also moves the
    ascent point: no temperature of that form."""
    return 1.0 / (1.0 - r.opt("beta")) if _heavy_ball_only(r) else None


def reading(r) -> Reading:
    rho, beta, lr = r.opt("sam_rho"), r.opt("beta"), r.lr
    sentence = (f"Feels the force a step ahead: the gradient is taken rho = {rho:.4g} uphill of the "
                f"ball (at x + rho·g/|g|), then heavy ball moves it from x (beta {beta:.4g}, "
                f"terminal step lr/(1-beta) = {lr / (1.0 - beta):.4g} × force); on a quadratic that "
                "is exactly heavy ball on V + rho|∇V|, so a sharp minimum's floor is raised")
    return Reading(sentence + ".", {"sam_rho": rho, "beta": beta,
                                    "lr_terminal": lr / (1.0 - beta)})


SPEC = RuleSpec(
    name="sam",
    family=Family.HEAVY_BALL,
    group="momentum",
    color=(120, 200, 255),
    summary="SAM: heavy ball with the gradient taken rho uphill of the ball (two gradients a tick)",
    params=(
        ParamSpec("lr", 1e-3, lo=0.0, lo_ok=False, help="learning rate (the reference's default)"),
        ParamSpec("beta", 0.9, lo=0.0, hi=1.0, help="the base SGD's momentum"),
        ParamSpec("weight_decay", 0.0, lo=0.0, help="the base SGD's L2 term, at x"),
        ParamSpec("sam_rho", 0.05, lo=0.0, help="how far uphill the gradient is taken"),
    ),
    step=step,
    # carry stays "fresh": tables keyed on carry "buffer" mean momentum/nesterov
    schedulable=True,  # x -= lr u with u independent of lr
    linear_map=linear_map,
    modified_loss=modified_loss,
    noise_factor=noise_factor,
    reading=reading,
)
