"""Schedule-free SGD (Defazio et al. 2024), as facebookresearch/schedule_free implements it
(schedulefree/sgd_schedulefree.py, class SGDScheduleFree), for one 2-vector parameter per ball.

Three points per ball: z, the plain SGD iterate; x, the running average of z that users evaluate
(the optimizer's eval mode); y = (1 - beta) z + beta x, where the gradient is taken (train mode:
the reference's parameter holds y while training). Per step k = 0, 1, ... (the ball's count):

    sched = (k+1)/warmup_steps while k < warmup_steps, else 1;  lr_k = lr sched
    lr_max = max(lr_max, lr_k);  weight = (k+1)^r lr_max^weight_lr_power
    weight_sum += weight;        c = weight / weight_sum
    g = grad V(y) + wd y;  y <- lerp(y, z, c);  y <- y + lr_k (beta (1 - c) - 1) g;  z <- z - lr_k g

The ball shown, dumped and saved as the position is x = lerp(y, z, 1 - 1/beta) (what `eval()`
would set), recomputed after every step from y and z, which live in the ball's buffers: the
trajectory is a training loop that never leaves train mode. At r = 0 without warmup c = 1/(k+1):
x is the plain average of z_1 .. z_k. torch's lerp is `a + w (b - a)` for |w| < 0.5, else
`b - (b - a)(1 - w)`; both are transcribed. This rule IS a schedule: the generic lr-schedule
wrapper does not apply to it (warmup_steps is its own).
"""
from __future__ import annotations


import numpy as np

from sim.rules.base import Family, BufferSpec, ParamSpec, Reading, RuleSpec

BUFFERS = (BufferSpec("y"), BufferSpec("z"), BufferSpec("weight_sum", (1,)), BufferSpec("lr_max", (1,)))
AVERAGING_PARAMS = (  # the averaging's own parameters, shared with adamw_schedulefree
    ParamSpec("warmup_steps", 0, kind=int, lo=0, help="linear lr warmup over this many steps"),
    ParamSpec("r", 0.0, lo=0.0, help="polynomial weighting (k+1)^r of the average"),
    ParamSpec("weight_lr_power", 2.0, lo=0.0, help="average weights lr_max^this"),
)


def torch_lerp(a: np.ndarray, b: np.ndarray, w, out: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """torch.lerp(a, b, w) into out (may be a): w a float or [n, 1] per row. scratch [n, 2]."""
    d = np.subtract(b, a, out=scratch)
    if np.isscalar(w):
        if abs(w) < 0.5:
            d *= w
            return np.add(a, d, out=out)
        d *= 1.0 - w
        return np.subtract(b, d, out=out)
    small = np.abs(w) < 0.5
    if small.all():
        d *= w
        return np.add(a, d, out=out)
    # per row: a + w d where |w| < 0.5, else b - d (1 - w) (a fresh array: rare, the two
    # steps after a drop while other balls are further on)
    d *= np.where(small, w, 1.0 - w)
    out[...] = np.where(small, a + d, b - d)
    return out


def same_steps(s) -> bool:
    """Whether every ball in the block has one step count (the caller may have said so)."""
    if s.same_steps is not None:
        return bool(s.same_steps)
    k = s.steps
    return bool(len(k)) and k.min() == k.max()


def start_fresh(s, bufs_extra: tuple[np.ndarray, ...] = ()) -> None:
    """Balls at step 0: y = z = their position (the reference clones z from p at its first
    step), weight_sum 0 and lr_max -1 as the reference's start."""
    fresh = s.steps == 0
    if fresh.any():
        b = s.bufs
        b["y"][fresh] = s.pos[fresh]
        b["z"][fresh] = s.pos[fresh]
        b["weight_sum"][fresh] = 0.0
        b["lr_max"][fresh] = -1.0
        for extra in bufs_extra:
            extra[fresh] = 0.0


def _uniform(a: np.ndarray) -> bool:
    return a.min() == a.max()


def averaging(r, s, same: bool):
    """(lr_k, c) for this step of every ball: floats when every ball has one step count, one
    lr_max and one weight_sum (then the arithmetic is the reference's own Python floats), else
    [n, 1] arrays (numpy's pow may differ from Python's by an ulp). Updates weight_sum and
    lr_max in place."""
    k = s.steps
    ws, lmax = s.bufs["weight_sum"][:, 0], s.bufs["lr_max"][:, 0]
    warm = int(r.opt("warmup_steps"))
    rpow, wlp = r.opt("r"), r.opt("weight_lr_power")
    if same and _uniform(lmax) and _uniform(ws):
        kk = int(k[0])
        sched = (kk + 1) / warm if kk < warm else 1.0
        lr = r.lr * sched
        lr_max = max(lr, float(lmax[0]))
        weight = ((kk + 1) ** rpow) * (lr_max ** wlp)
        total = float(ws[0]) + weight
        lmax[:] = lr_max
        ws[:] = total
        return lr, (weight / total if total != 0.0 else 0.0)
    kf = k.astype(np.float64)
    sched = np.where(k < warm, (kf + 1.0) / max(warm, 1), 1.0)
    lr = r.lr * sched
    np.maximum(lmax, lr, out=lmax)
    weight = np.power(kf + 1.0, rpow) * np.power(lmax, wlp)
    ws += weight
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(ws != 0.0, weight / ws, 0.0)
    return lr[:, None], c[:, None]


def begin(r, s, V, bufs_extra: tuple[np.ndarray, ...] = ()):
    """The shared start of both schedule-free steps: fresh balls set up (start_fresh), this
    step's (lr_k, c) and the weight sums (averaging), and the gradient at y into s.grad.
    Returns (same, lr, c, g): same as same_steps(s), g is s.grad."""
    start_fresh(s, bufs_extra)
    same = same_steps(s)
    lr, c = averaging(r, s, same)
    g = V.grad(s.bufs["y"], out=s.grad)
    return same, lr, c, g


def finish(r, s, g, lr, c, beta: float, decay: float = 0.0) -> None:
    """The shared end of both schedule-free steps, g the (normalized) gradient [n, 2] (may be
    overwritten): g += decay y (when decay != 0); y <- lerp(y, z, c); y += lr (beta (1-c) - 1) g;
    z -= lr g; pos <- x."""
    y, z = s.bufs["y"], s.bufs["z"]
    if decay != 0.0:
        np.multiply(y, decay, out=s.tmp)
        g += s.tmp  # grad.add_(y, alpha=weight_decay) (SGD); grad_normalized.add_(y, alpha=decay) (AdamW)
    torch_lerp(y, z, c, out=y, scratch=s.tmp2)  # y.lerp_(end=z, weight=ckp1)
    np.multiply(g, lr * (beta * (1.0 - c) - 1.0), out=s.tmp2)
    y += s.tmp2  # y.add_(grad, alpha=lr*(momentum*(1-ckp1)-1))
    g *= lr
    z -= g  # z.sub_(grad, alpha=lr)
    torch_lerp(y, z, 1.0 - 1.0 / beta, out=s.pos, scratch=s.tmp2)  # eval(): p.lerp_(z, 1-1/beta)
    s.steps += 1


def step(r, s, V, rng) -> bool:
    """One schedule-free SGD tick for every ball (y, z, weight_sum, lr_max in s.bufs; s.grad is scratch)."""
    _, lr, c, g = begin(r, s, V)
    finish(r, s, g, lr, c, r.opt("beta"), r.opt("weight_decay"))
    return False


def reading(r) -> Reading:
    lr, beta = r.lr, r.opt("beta")
    sentence = (f"The ball is x, the centre of mass of the path of a gd ball z (lr = {lr:.4g}); "
                f"the force is felt at y = {1 - beta:.3g}·z + {beta:.3g}·x, and each tick x moves "
                "the fraction c_k toward z (c_k = 1/(k+1) at r = 0 without warmup), so it slows "
                "down by itself: the schedule is built in")
    return Reading(sentence + ".", {"lr": lr, "y_weight_x": beta})


SPEC = RuleSpec(
    name="sgd_schedulefree",
    family=Family.GD,
    group="momentum",
    color=(150, 230, 150),
    summary="Schedule-free SGD: the ball is the running average x of a gd walker z, "
            "the gradient taken between them",
    params=(
        ParamSpec("lr", 1.0, lo=0.0, lo_ok=False, help="learning rate (the reference's default)"),
        ParamSpec("beta", 0.9, lo=0.0, lo_ok=False, hi=1.0, help="momentum: y = (1-beta) z + beta x"),
        ParamSpec("weight_decay", 0.0, lo=0.0, help="L2 term wd y added to the gradient"),
        *AVERAGING_PARAMS,
    ),
    step=step,
    counts_steps=True,
    buffers=BUFFERS,
    # the averaging weight c_k changes every step: no constant map, no rate, no temperature
    reading=reading,
)
