"""The update rules, vectorized over particles: gradient descent, the torch optimizers, and
Newton's law (with friction and heat) under three integrators.

Each rule is a small function over arrays of shape [n, 2] (positions in world units). The
optimizer rules match `torch.optim` step for step, operation for operation where it matters
for rounding. The newton family keeps `grad` = grad V(pos) cached between ticks, so a Verlet
tick costs one gradient evaluation.

How state carries over when the world switches rule (World.set_rule):
- momentum <-> nesterov keep the buffer u;
- newton/langevin -> momentum/nesterov: u = -v dt / lr (the same displacement per tick);
- momentum/nesterov -> newton/langevin: v = -lr u / dt;
- anything -> adagrad / rmsprop / adam: fresh buffers and step count (a new torch optimizer);
- gd / adagrad / rmsprop / adam -> newton / langevin: v = 0 (those rules carry no momentum).
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

RULES = ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "newton", "langevin",
         "newton_method", "nesterov_ode")
NEWTONIAN = ("newton", "langevin")
HEAVY_BALL = ("momentum", "nesterov")  # the rules with a momentum buffer u that a throw seeds


class Family(enum.IntEnum):
    """Rules that share a step-size scale (the window remembers one step per family). The value
    indexes a landscape's suggested steps (sim/tuning.py)."""

    GD = 0
    HEAVY_BALL = 1
    NEWTON = 2  # steps with dt, not lr
    ADAPTIVE = 3
    NEWTON_METHOD = 4  # lr 1 on every landscape


FAMILY: dict[str, Family] = {"gd": Family.GD, "momentum": Family.HEAVY_BALL,
                             "nesterov": Family.HEAVY_BALL, "newton": Family.NEWTON,
                             "langevin": Family.NEWTON, "adagrad": Family.ADAPTIVE,
                             "rmsprop": Family.ADAPTIVE, "adam": Family.ADAPTIVE,
                             "nesterov_ode": Family.NEWTON, "newton_method": Family.NEWTON_METHOD}
OPTIMIZERS = ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "newton_method")
TIMED = ("newton", "langevin", "nesterov_ode")  # rules whose tick advances dt of simulated time
NEWTON_SHIFT_MARGIN = 0.1  # newton_method: mu = -lam_min + this x max|lam| where H is not > 0
NEWTON_SHIFT_FLOOR = 1e-6  # ... and at least this (a flat Hessian still gets a finite step)
INTEGRATORS = ("verlet", "symplectic", "euler")

# which parameters each rule reads (the dump's `params` lists exactly these)
RULE_PARAMS: dict[str, tuple[str, ...]] = {
    "gd": ("lr",),
    "momentum": ("lr", "beta"),
    "nesterov": ("lr", "beta"),
    "adagrad": ("lr", "eps"),
    "rmsprop": ("lr", "alpha", "eps"),
    "adam": ("lr", "beta", "beta2", "eps"),
    "newton": ("mass", "friction", "dt", "integrator"),
    "langevin": ("mass", "friction", "temperature", "dt"),
    "newton_method": ("lr",),
    "nesterov_ode": ("dt",),
}
EPS_DEFAULT = {"adagrad": 1e-10, "rmsprop": 1e-8, "adam": 1e-8}

# what each numeric parameter accepts: (lower bound, lower bound allowed?, upper bound or None)
PARAM_RANGE: dict[str, tuple[float, bool, float | None]] = {
    "lr": (0.0, False, None),
    "dt": (0.0, False, None),
    "mass": (0.0, False, None),
    "eps": (0.0, False, None),
    "friction": (0.0, True, None),
    "temperature": (0.0, True, None),
    "beta": (0.0, True, 1.0),  # [0, 1)
    "beta2": (0.0, True, 1.0),
    "alpha": (0.0, True, 1.0),
}


@dataclass(frozen=True)
class Rule:
    """One update rule and every parameter it might read. Immutable: change with `with_`."""

    name: str = "gd"
    lr: float = 0.01
    beta: float = 0.9
    beta2: float = 0.999
    alpha: float = 0.99
    eps: float | None = None  # None: the rule's torch default (EPS_DEFAULT)
    mass: float = 1.0
    friction: float = 0.5
    temperature: float = 0.1
    dt: float = 0.01
    integrator: str = "verlet"
    schedule: str = "constant"  # optimizer rules: sim.schedules spec (constant, step:K:G, ...)
    batch: int = 0  # minibatch size on data landscapes (sim/data); 0: full batch

    def __post_init__(self) -> None:
        if self.schedule != "constant":
            from sim.schedules import parse_schedule

            parse_schedule(self.schedule)  # ValueError with a one-line reason
        if self.name not in RULES:
            raise ValueError(f"unknown dynamics '{self.name}'; choose one of: {', '.join(RULES)}")
        if self.integrator not in INTEGRATORS:
            raise ValueError(
                f"unknown integrator '{self.integrator}'; choose one of: {', '.join(INTEGRATORS)}"
            )
        if isinstance(self.batch, bool) or not isinstance(self.batch, int) or self.batch < 0:
            raise ValueError(f"--batch must be a whole number >= 0, got {self.batch!r}")
        for f in fields(self):
            if f.name in PARAM_RANGE:
                value = getattr(self, f.name)
                if value is not None:
                    check_param(f.name, value)

    def with_(self, **changes: Any) -> "Rule":
        return replace(self, **changes)

    @property
    def newtonian(self) -> bool:
        return self.name in NEWTONIAN

    @property
    def family(self) -> Family:
        return FAMILY.get(self.name, Family.GD)

    @property
    def step_name(self) -> str:
        """The parameter that sets this rule's step size: "dt" (newton family) or "lr"."""
        return "dt" if self.family == Family.NEWTON else "lr"

    @property
    def step_size(self) -> float:
        return self.dt if self.family == Family.NEWTON else self.lr

    def with_step(self, value: float) -> "Rule":
        """This rule with its step size (lr, or dt for the newton family) set to value."""
        return replace(self, **{self.step_name: value})

    @property
    def keeps_throw(self) -> bool:
        """Whether a thrown ball keeps its velocity (a momentum buffer or a real velocity)."""
        return self.newtonian or self.name in HEAVY_BALL

    @property
    def eps_value(self) -> float:
        return self.eps if self.eps is not None else EPS_DEFAULT.get(self.name, 1e-8)

    @property
    def tick_time(self) -> float:
        """Simulated time one tick advances: dt for the newton family, 1 iteration otherwise."""
        return self.dt if self.name in TIMED else 1.0

    def params(self) -> dict[str, Any]:
        """The effective parameters this rule reads (eps resolved to its default)."""
        out: dict[str, Any] = {}
        for k in RULE_PARAMS[self.name]:
            out[k] = self.eps_value if k == "eps" else getattr(self, k)
        if self.schedule != "constant" and self.name in OPTIMIZERS:
            out["schedule"] = self.schedule
        return out

    def label(self) -> str:
        """A short one-line description: rule name and its parameters."""
        parts = []
        for k, v in self.params().items():
            parts.append(f"{k}={v}" if isinstance(v, str) else f"{k}={v:.4g}")
        if self.batch:
            parts.append(f"B={self.batch}")
        return f"{self.name}  " + "  ".join(parts)


def check_param(name: str, value: float) -> float:
    """Validate one numeric parameter; raises ValueError with a one-line reason."""
    lo, lo_ok, hi = PARAM_RANGE[name]
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"--{name} must be a finite number, got {value!r}")
    if value < lo or (value == lo and not lo_ok):
        raise ValueError(f"--{name} must be {'>=' if lo_ok else '>'} {lo:g}, got {value:g}")
    if hi is not None and value >= hi:
        raise ValueError(f"--{name} must be below {hi:g}, got {value:g}")
    return float(value)


@dataclass
class State:
    """The arrays one rule updates in place, all of the same length n.

    pos, vel, grad, buf_a, buf_b, tmp, tmp2: [n, 2]; steps, dissipated: [n].
    `grad_valid` says whether `grad` already holds grad V(pos) (newton family cache).
    `same_steps` lets a caller that steps the particles block by block say once for all
    blocks whether adam's bias correction is one number (so every block rounds alike).
    """

    pos: np.ndarray
    vel: np.ndarray
    grad: np.ndarray
    buf_a: np.ndarray
    buf_b: np.ndarray
    steps: np.ndarray
    dissipated: np.ndarray
    tmp: np.ndarray
    tmp2: np.ndarray
    grad_valid: bool = False
    same_steps: bool | None = None  # adam: every particle has the same step count (None: look)


def _sqnorm(v: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """|v|^2 per row: [n, 2] -> [n] (a fresh array), using scratch [n, 2] for the squares.

    (Faster than einsum or .sum(axis=1) on this shape.)"""
    np.multiply(v, v, out=scratch)
    return scratch[:, 0] + scratch[:, 1]


# --- optimizer rules (torch.optim, one parameter vector [x, y] per particle) ----------------

def step_gd(r: Rule, s: State, V, rng) -> bool:
    g = V.grad(s.pos, out=s.tmp)
    g *= r.lr
    s.pos -= g
    return False


def step_momentum(r: Rule, s: State, V, rng) -> bool:
    g = V.grad(s.pos, out=s.tmp)
    u = s.buf_a
    u *= r.beta
    u += g  # torch: buf.mul_(momentum).add_(grad)
    if r.name == "nesterov":
        np.multiply(u, r.beta, out=s.tmp2)
        g += s.tmp2  # torch: grad = grad.add(buf, alpha=momentum)
        g *= r.lr
    else:
        np.multiply(u, r.lr, out=g)
    s.pos -= g  # torch: param.add_(step, alpha=-lr)
    return False


def step_adagrad(r: Rule, s: State, V, rng) -> bool:
    g = V.grad(s.pos, out=s.tmp)
    np.multiply(g, g, out=s.tmp2)
    s.buf_b += s.tmp2  # state_sum.addcmul_(grad, grad)
    np.sqrt(s.buf_b, out=s.tmp2)
    s.tmp2 += r.eps_value  # std = state_sum.sqrt().add_(eps)
    g /= s.tmp2
    g *= r.lr
    s.pos -= g  # param.addcdiv_(grad, std, value=-lr)
    s.steps += 1
    return False


def step_rmsprop(r: Rule, s: State, V, rng) -> bool:
    g = V.grad(s.pos, out=s.tmp)
    sq = s.buf_b
    sq *= r.alpha
    np.multiply(g, g, out=s.tmp2)
    s.tmp2 *= 1.0 - r.alpha
    sq += s.tmp2  # square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
    np.sqrt(sq, out=s.tmp2)
    s.tmp2 += r.eps_value  # avg = square_avg.sqrt().add_(eps)
    g /= s.tmp2
    g *= r.lr
    s.pos -= g
    s.steps += 1
    return False


def step_adam(r: Rule, s: State, V, rng) -> bool:
    g = V.grad(s.pos, out=s.tmp)
    b1, b2 = r.beta, r.beta2
    s.steps += 1
    m, v = s.buf_a, s.buf_b
    np.subtract(g, m, out=s.tmp2)
    s.tmp2 *= 1.0 - b1
    m += s.tmp2  # exp_avg.lerp_(grad, 1 - beta1)
    v *= b2
    np.multiply(g, g, out=s.tmp2)
    s.tmp2 *= 1.0 - b2
    v += s.tmp2  # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    t = s.steps
    same = s.same_steps
    if same is None:
        same = bool(len(t)) and t[0] == t[-1] and (t.min() == t.max())
    if same and len(t):
        k = int(t[0])
        step_size = r.lr / (1.0 - b1**k)
        bc2_sqrt = math.sqrt(1.0 - b2**k)
    else:  # particles dropped at different times carry different step counts
        step_size = (r.lr / (1.0 - np.power(b1, t)))[:, None]
        bc2_sqrt = np.sqrt(1.0 - np.power(b2, t))[:, None]
    np.sqrt(v, out=s.tmp2)
    s.tmp2 /= bc2_sqrt
    s.tmp2 += r.eps_value  # denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
    np.divide(m, s.tmp2, out=g)
    g *= step_size
    s.pos -= g  # param.addcdiv_(exp_avg, denom, value=-step_size)
    return False


# --- Newton's law: m x'' = -grad V - friction x' -----------------------------------------

def _kick(r: Rule, s: State, h: float) -> None:
    """v <- v - h grad V(x) / m, with the cached gradient."""
    np.multiply(s.grad, h / r.mass, out=s.tmp)
    s.vel -= s.tmp


def _drift(s: State, h: float) -> None:
    np.multiply(s.vel, h, out=s.tmp)
    s.pos += s.tmp


def _ou(r: Rule, s: State, temperature: float, rng) -> None:
    """Exact friction and heat over dt: v <- c1 v + sqrt((1 - c1^2) T / m) xi, c1 = exp(-friction dt / m).

    Adds the kinetic energy this takes out to `dissipated` (with heat it can be negative).
    """
    c1 = math.exp(-r.friction * r.dt / r.mass)
    ke_before = _sqnorm(s.vel, s.tmp)
    s.vel *= c1
    noise = rng.standard_normal(s.vel.shape)
    noise *= math.sqrt((1.0 - c1 * c1) * temperature / r.mass)
    s.vel += noise
    ke_before -= _sqnorm(s.vel, s.tmp)
    ke_before *= 0.5 * r.mass
    s.dissipated += ke_before


def step_verlet(r: Rule, s: State, V, rng, temperature: float = 0.0) -> bool:
    """BAOAB (Leimkuhler & Matthews): kick, half drift, exact friction (+ noise), half drift, kick.

    With friction 0 and no heat this is velocity Verlet (symplectic, second order). Without
    heat the two half drifts fold into one: x += (dt/2)(1 + c1) v, then v *= c1.
    """
    if not s.grad_valid:
        V.grad(s.pos, out=s.grad)
    h = 0.5 * r.dt
    _kick(r, s, h)
    if temperature > 0.0:
        _drift(s, h)
        _ou(r, s, temperature, rng)
        _drift(s, h)
    else:
        c1 = math.exp(-r.friction * r.dt / r.mass)
        if c1 != 1.0:
            ke = _sqnorm(s.vel, s.tmp)
            ke *= 0.5 * r.mass * (1.0 - c1 * c1)
            s.dissipated += ke
        _drift(s, h * (1.0 + c1))
        if c1 != 1.0:
            s.vel *= c1
    V.grad(s.pos, out=s.grad)
    _kick(r, s, h)
    return True


def _velocity_change(r: Rule, s: State, V) -> None:
    """s.tmp <- (dt/m)(grad V(x) + friction v) from the current state (grad cached in s.grad):
    the velocity both Euler integrators take off in one tick."""
    V.grad(s.pos, out=s.grad)
    np.multiply(s.vel, r.friction, out=s.tmp)
    s.tmp += s.grad
    s.tmp *= r.dt / r.mass


def step_symplectic(r: Rule, s: State, V, rng) -> bool:
    """Semi-implicit Euler: v <- v - (dt/m)(grad V(x) + friction v); x <- x + dt v."""
    _velocity_change(r, s, V)
    if r.friction:
        # friction's work over the step: friction * v_old . (x_new - x_old) = f dt v_old . v_new
        np.subtract(s.vel, s.tmp, out=s.tmp2)  # v_new
        s.tmp2 *= s.vel
        work = s.tmp2[:, 0] + s.tmp2[:, 1]  # v_old . v_new
        work *= r.friction * r.dt
        s.dissipated += work
    s.vel -= s.tmp
    _drift(s, r.dt)
    return False  # grad is at the old position


def step_euler(r: Rule, s: State, V, rng) -> bool:
    """Explicit Euler from the old state: x <- x + dt v; v <- v - (dt/m)(grad V(x_old) + f v_old)."""
    _velocity_change(r, s, V)
    if r.friction:
        s.dissipated += r.friction * r.dt * _sqnorm(s.vel, s.tmp2)
    np.multiply(s.vel, r.dt, out=s.tmp2)
    s.pos += s.tmp2
    s.vel -= s.tmp
    return False  # grad is at the old position


def step(r: Rule, s: State, V, rng: np.random.Generator) -> bool:
    """Advance every particle in `s` by one tick of rule r. Returns whether s.grad = grad V(pos)."""
    if r.schedule != "constant" and r.name in OPTIMIZERS:
        return _step_scheduled(r, s, V, rng)
    if r.name == "newton_method":
        return step_newton_method(r, s, V, rng)
    if r.name == "nesterov_ode":
        return step_nesterov_ode(r, s, V, rng)
    if r.name == "gd":
        return step_gd(r, s, V, rng)
    if r.name in HEAVY_BALL:
        return step_momentum(r, s, V, rng)
    if r.name == "adagrad":
        return step_adagrad(r, s, V, rng)
    if r.name == "rmsprop":
        return step_rmsprop(r, s, V, rng)
    if r.name == "adam":
        return step_adam(r, s, V, rng)
    if r.name == "langevin":
        return step_verlet(r, s, V, rng, temperature=r.temperature)
    if r.integrator == "symplectic":
        return step_symplectic(r, s, V, rng)
    if r.integrator == "euler":
        return step_euler(r, s, V, rng)
    return step_verlet(r, s, V, rng)


def newton_twin(r: Rule) -> Rule:
    """The Newtonian twin of heavy-ball momentum (or gd, beta = 0) with semi-implicit Euler:
    mass = dt^2 / lr, friction = (1 - beta) dt / lr, at the rule's dt."""
    if r.name not in ("gd", "momentum"):
        raise ValueError(f"{r.name} has no Newtonian twin (only gd and momentum do)")
    beta = r.beta if r.name == "momentum" else 0.0
    mass = r.dt * r.dt / r.lr
    return Rule(name="newton", integrator="symplectic", dt=r.dt, mass=mass,
                friction=(1.0 - beta) * r.dt / r.lr)


# --- Newton's method, Nesterov's ODE, schedules -------------------------------------------------

def newton_shift(lam_max: np.ndarray, lam_min: np.ndarray) -> np.ndarray:
    """mu [n] for newton_method: 0 where the Hessian is positive definite (lam_min > 0), else
    -lam_min + NEWTON_SHIFT_MARGIN max(|lam_max|, |lam_min|), at least NEWTON_SHIFT_FLOOR
    (Levenberg's shift: the smallest that makes H + mu I positive definite, plus a margin)."""
    with np.errstate(all="ignore"):
        size = np.maximum(np.abs(lam_max), np.abs(lam_min))
        shift = np.maximum(-lam_min + NEWTON_SHIFT_MARGIN * size, NEWTON_SHIFT_FLOOR)
        return np.where(lam_min > 0, 0.0, shift)


def step_newton_method(r: Rule, s: State, V, rng) -> bool:
    """x <- x - lr (H + mu I)^-1 g with the exact Hessian H and mu = newton_shift (closed-form
    2x2 solve). Newton's law with a position-dependent mass matrix H, overdamped."""
    g = V.grad(s.pos, out=s.tmp)
    h = V.hessian(s.pos)
    a, b, c = h[:, 0, 0], 0.5 * (h[:, 0, 1] + h[:, 1, 0]), h[:, 1, 1]
    with np.errstate(all="ignore"):
        mean = 0.5 * (a + c)
        rad = np.hypot(0.5 * (a - c), b)
        mu = newton_shift(mean + rad, mean - rad)
        a = a + mu
        c = c + mu
        det = a * c - b * b
        gx, gy = g[:, 0].copy(), g[:, 1].copy()
        g[:, 0] = (c * gx - b * gy) / det
        g[:, 1] = (a * gy - b * gx) / det
    g *= r.lr
    s.pos -= g
    return False


def step_nesterov_ode(r: Rule, s: State, V, rng) -> bool:
    """x'' + (3/t) x' + grad V = 0 (Su, Boyd & Candes 2014), t = steps dt from the ball's drop,
    the ball at rest at t = 0. Unit mass; grad cached as in Verlet (one gradient a tick).

    Velocity Verlet with the friction integrated exactly: with p = t^3 v the law reads
    (t^3 v)' = -t^3 g, so over [t0, t1] = [k dt, (k+1) dt]
        v1 = (t0/t1)^3 v0 - t1^-3 int s^3 g(s) ds,
        x1 = x0 + v0 t0^3 int t^-3 dt - int w(s) g(s) ds,  w(s) = (s - s^3/t1^2) / 2.
    The position takes g(s) = g0 (its weight int w = dt^2 (2k+1)^2 / (8 (k+1)^2); dt^2/8 at
    the first step, the series x0 - t^2 g0/8), the velocity g linear between g0 and g1 =
    grad V(x1). Both are exact for a constant force and err by O(dt^3) per step uniformly in
    k (the weights are bounded, the 3/t singularity never divides), so the method is second
    order from t = 0; at large k it is velocity Verlet. The weights are written as polynomials
    in k (no cancellation at large k)."""
    fresh = s.steps == 0
    if fresh.any():
        s.vel[fresh] = 0.0  # at rest at t = 0, whatever the drop or the rule before
    if not s.grad_valid:
        V.grad(s.pos, out=s.grad)
    dt = float(r.dt)
    t = s.steps
    if len(t) and t.min() == t.max():
        k = float(t[0])  # one count for all: scalar weights
    else:
        k = t.astype(np.float64)[:, None]
    k1 = k + 1.0
    c_drift = dt * k * (2.0 * k + 1.0) / (2.0 * k1 * k1)
    c_push = dt * dt * (2.0 * k + 1.0) ** 2 / (8.0 * k1 * k1)
    c_keep = (k / k1) ** 3
    den = 20.0 * k1 ** 3
    c_g0 = dt * (((10.0 * k + 10.0) * k + 5.0) * k + 1.0) / den
    c_g1 = dt * (((10.0 * k + 20.0) * k + 15.0) * k + 4.0) / den
    np.multiply(s.vel, c_drift, out=s.tmp)
    s.pos += s.tmp
    np.multiply(s.grad, c_push, out=s.tmp)
    s.pos -= s.tmp
    s.vel *= c_keep
    np.multiply(s.grad, c_g0, out=s.tmp)
    s.vel -= s.tmp
    V.grad(s.pos, out=s.grad)
    np.multiply(s.grad, c_g1, out=s.tmp)
    s.vel -= s.tmp
    s.steps += 1
    return True


def _step_scheduled(r: Rule, s: State, V, rng) -> bool:
    """One tick of an optimizer rule whose lr follows r.schedule, per ball from its drop: the
    lr at a ball's k-th step (k = its step count before the step) is lr x lr_factor(k). Every
    optimizer's displacement is linear in lr (the buffers do not depend on it), so balls at
    different counts take the base step, then scale their displacement."""
    from sim.schedules import lr_factor, parse_schedule

    base = r.with_(schedule="constant")
    k = s.steps.copy()
    f = lr_factor(parse_schedule(r.schedule), k)
    counts_self = r.name in ("adagrad", "rmsprop", "adam")
    if len(k) and k.min() == k.max():  # one factor for all: torch's own operation order
        if f[0] > 0:
            out = step(base.with_(lr=r.lr * float(f[0])), s, V, rng)
        else:
            out = _frozen_step(base, s, V, rng)
    else:
        old = s.pos.copy()
        out = step(base, s, V, rng)
        s.pos -= old
        s.pos *= f[:, None]
        s.pos += old
    if not counts_self:
        s.steps += 1
    return out


def _frozen_step(r: Rule, s: State, V, rng) -> bool:
    """A step at lr factor 0 (cosine at its end): the buffers update, the position stays."""
    old = s.pos.copy()
    out = step(r, s, V, rng)
    s.pos[...] = old
    return out


def carry_over(p, old: Rule, new: Rule, rows: np.ndarray) -> None:
    """The state of particles p (sim.particles.Particles) at `rows` as the world switches them
    from rule `old` to `new` (the module docstring lists the cases)."""
    heavy = HEAVY_BALL
    if old.name in heavy and new.name in heavy:
        return
    if old.newtonian and new.name in heavy:
        p.buf_a[rows] = -p.vel[rows] * (old.dt / new.lr)
        p.buf_b[rows] = 0
        p.steps[rows] = 0
        return
    if old.name in heavy and new.newtonian:
        p.vel[rows] = -p.buf_a[rows] * (old.lr / new.dt)
    elif old.newtonian and new.newtonian:
        pass  # velocity is velocity
    elif new.newtonian:
        p.vel[rows] = 0.0
    p.buf_a[rows] = 0
    p.buf_b[rows] = 0
    p.steps[rows] = 0
