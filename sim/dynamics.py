"""The update rules, vectorized over particles (see DESIGN.md for the contract).

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

import math
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

RULES = ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "newton", "langevin")
NEWTONIAN = ("newton", "langevin")
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
    batch: int = 0  # minibatch size on data landscapes (sim/data); 0: full batch

    def __post_init__(self) -> None:
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
    def eps_value(self) -> float:
        return self.eps if self.eps is not None else EPS_DEFAULT.get(self.name, 1e-8)

    @property
    def tick_time(self) -> float:
        """Simulated time one tick advances: dt for the newton family, 1 iteration otherwise."""
        return self.dt if self.newtonian else 1.0

    def params(self) -> dict[str, Any]:
        """The effective parameters this rule reads (eps resolved to its default)."""
        out: dict[str, Any] = {}
        for k in RULE_PARAMS[self.name]:
            out[k] = self.eps_value if k == "eps" else getattr(self, k)
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
    if r.name == "gd":
        return step_gd(r, s, V, rng)
    if r.name in ("momentum", "nesterov"):
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
