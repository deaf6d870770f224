"""The arithmetic of one ball's tick, with the numbers: what a student reads to follow a step.

`capture(world, row)` copies what a rule reads for one ball (before a tick) and what it wrote
(after); `readout(before, after, potential)` spells the tick out term by term, per rule, in
the order the rule computes it (torch's order for the optimizers, kick / drift / friction /
drift / kick for Newton's law with velocity Verlet). The intermediate terms are computed
again from `before`; the results of the tick (Δx, Δv, and the thermal kick, which only the
world's random stream knows) come from `after`, so the readout shows what really happened.
Vectors are [2] arrays in world units: g in V per length, forces in V per length (mass
units), velocities per unit simulated time, Δx in length.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.rules.base import BUFFER, FORCE, GRADIENT, STEP, VELOCITY, Term
from sim.rules.dynamics import Rule
from sim.core.particles import DIVERGED
from sim.landscapes.base import Potential
from sim.core.world import World


@dataclass(frozen=True)
class BallState:
    """One ball at one tick: the state its rule reads and writes. Vectors [2]."""

    row: int
    tick: int
    rule: Rule
    pos: np.ndarray
    vel: np.ndarray
    buf_a: np.ndarray  # momentum u / Adam m
    buf_b: np.ndarray  # AdaGrad / RMSProp s, Adam v
    steps: int
    diverged: bool
    bufs: dict = field(default_factory=dict)  # the rule's extra buffers (BufferSpec name -> [*shape])


@dataclass(frozen=True)
class Readout:
    """One ball's tick spelled out: `terms` in the order the rule computes them."""

    rule: Rule
    row: int
    tick: int  # the tick explained (the ball's state after it)
    terms: tuple[Term, ...]
    note: str = ""

    def term(self, key: str) -> Term:
        for t in self.terms:
            if t.key == key:
                return t
        raise KeyError(key)

    def keys(self) -> list[str]:
        return [t.key for t in self.terms]


def capture(world: World, row: int) -> BallState:
    """Copy one ball's state (row index into the world's particles)."""
    p = world.particles
    row = int(row)
    if not 0 <= row < p.n:
        raise IndexError(f"no ball {row}: the world holds {p.n}")
    rule = world.rules[int(p.rule[row])]
    pre = f"{rule.name}:"
    bufs = {k[len(pre):]: p.full(k)[row].copy() for k in p.extra_names() if k.startswith(pre)}
    return BallState(row=row, tick=int(world.tick_count), rule=rule,
                     pos=p.pos[row].copy(), vel=p.vel[row].copy(), buf_a=p.buf_a[row].copy(),
                     buf_b=p.buf_b[row].copy(), steps=int(p.steps[row]),
                     diverged=bool(p.status[row] == DIVERGED), bufs=bufs)


def _grad(V: Potential, x: np.ndarray) -> np.ndarray:
    return V.grad(np.asarray(x, dtype=np.float64).reshape(1, 2))[0]


def readout(before: BallState, after: BallState, potential: Potential) -> Readout:
    """The tick from `before` to `after` (one tick of before.rule) spelled out."""
    r = before.rule
    if before.diverged:
        return Readout(r, before.row, after.tick, (), note="diverged: this ball no longer moves")
    if after.tick != before.tick + 1:
        note = f"the states are {after.tick - before.tick} ticks apart; the terms show one"
    else:
        note = "diverged on this tick" if after.diverged else ""
    with np.errstate(all="ignore"):
        own = r.spec.readout(r, before, after, potential)  # a rule that spells out its own step
        if own is not None:
            return Readout(r, before.row, after.tick, tuple(own), note)
        if r.newtonian:
            terms = _newton_terms(r, before, after, potential)
        else:
            terms = _optimizer_terms(r, before, potential)
            terms.append(Term("dx", "Δx", "x' − x", after.pos - before.pos, STEP))
    return Readout(r, before.row, after.tick, tuple(terms), note)


def _optimizer_terms(r: Rule, b: BallState, V: Potential) -> list[Term]:
    """Terms of one optimizer step from the state before it (torch's arithmetic)."""
    g = _grad(V, b.pos)
    out = [Term("g", "g", "∇V(x)", g, GRADIENT)]  # u and m are sums of g: the same family
    lr, eps = r.lr, r.eps_value
    if r.name == "gd":
        out.append(Term("step", "−lr g", f"−{lr:.4g} g", -lr * g, STEP))
    elif r.name in ("momentum", "nesterov"):
        u = b.buf_a * r.beta + g
        out.append(Term("u", "u", f"{r.beta:.4g} u + g", u, GRADIENT))
        if r.name == "nesterov":
            d = g + r.beta * u
            out.append(Term("d", "g + β u", f"g + {r.beta:.4g} u", d, GRADIENT))
            out.append(Term("step", "−lr (g + β u)", f"−{lr:.4g} (g + β u)", -(d * lr), STEP))
        else:
            out.append(Term("step", "−lr u", f"−{lr:.4g} u", -(u * lr), STEP))
    elif r.name in ("adagrad", "rmsprop"):
        if r.name == "adagrad":
            s = b.buf_b + g * g
            out.append(Term("s", "s", "s + g²", s))
        else:
            s = b.buf_b * r.alpha + (g * g) * (1.0 - r.alpha)
            out.append(Term("s", "s", f"{r.alpha:.4g} s + {1 - r.alpha:.4g} g²", s))
        step = g / (np.sqrt(s) + eps) * lr
        out.append(Term("step", "−lr g/(√s+ε)", f"−{lr:.4g} g / (√s + {eps:.2g})", -step, STEP))
    elif r.name == "adam":
        out += _adam_terms(r, b, g)
    return out


def _adam_terms(r: Rule, b: BallState, g: np.ndarray) -> list[Term]:
    b1, b2, eps, t = r.beta, r.beta2, r.eps_value, b.steps + 1
    m = b.buf_a + (g - b.buf_a) * (1.0 - b1)
    v = b.buf_b * b2 + (g * g) * (1.0 - b2)
    bc1, bc2 = 1.0 - b1**t, 1.0 - b2**t
    mhat, vhat = m / bc1, v / bc2
    ratio = mhat / (np.sqrt(vhat) + eps)
    return [
        Term("t", "t", "t + 1", float(t)),
        Term("m", "m", f"{b1:.4g} m + {1 - b1:.4g} g", m, GRADIENT),
        Term("v", "v", f"{b2:.4g} v + {1 - b2:.4g} g²", v),
        Term("bc1", "1 − β₁ᵗ", f"1 − {b1:.4g}^{t}", bc1),
        Term("bc2", "1 − β₂ᵗ", f"1 − {b2:.4g}^{t}", bc2),
        Term("mhat", "m̂", "m / (1 − β₁ᵗ)", mhat),
        Term("vhat", "v̂", "v / (1 − β₂ᵗ)", vhat),
        Term("ratio", "m̂/(√v̂+ε)", f"m̂ / (√v̂ + {eps:.2g})", ratio, BUFFER),
        Term("step", "−lr m̂/(√v̂+ε)", f"−{r.lr:.4g} m̂/(√v̂+ε)", -(ratio * r.lr), STEP),
    ]


def _newton_terms(r: Rule, b: BallState, a: BallState, V: Potential) -> list[Term]:
    """Newton's law m x'' = −∇V − γ x' (+ heat): forces at the start, the integrator's
    stages, and the tick's Δv and Δx."""
    m, gam, dt = r.mass, r.friction, r.dt
    force = -_grad(V, b.pos)
    fric = -gam * b.vel
    acc = (force + fric) / m
    out = [
        Term("force", "−∇V", "−∇V(x)", force, FORCE),
        Term("friction", "−γ v", f"−{gam:.4g} v", fric, FORCE),
        Term("a", "a", f"(−∇V − γ v) / {m:.4g}", acc, FORCE),
    ]
    if r.name == "langevin" or r.integrator == "verlet":
        out += _verlet_stages(r, b, a, V, force)
    elif r.integrator == "symplectic":
        out.append(Term("v1", "v'", f"v + {dt:.4g} a", b.vel + dt * acc, VELOCITY))
        out.append(Term("drift", "Δt v'", f"{dt:.4g} v'", dt * (b.vel + dt * acc), STEP))
    else:  # explicit Euler: the drift uses the old velocity
        out.append(Term("drift", "Δt v", f"{dt:.4g} v", dt * b.vel, STEP))
        out.append(Term("v1", "v'", f"v + {dt:.4g} a", b.vel + dt * acc, VELOCITY))
    out.append(Term("dv", "Δv", "v' − v", a.vel - b.vel, VELOCITY))
    out.append(Term("dx", "Δx", "x' − x", a.pos - b.pos, STEP))
    return out


def _verlet_stages(r: Rule, b: BallState, a: BallState, V: Potential,
                   force: np.ndarray) -> list[Term]:
    """BAOAB: half kick, half drift, exact friction (+ thermal kick), half drift, half kick."""
    m, h = r.mass, 0.5 * r.dt
    c1 = math.exp(-r.friction * r.dt / r.mass)
    v_half = b.vel + (h / m) * force
    x_half = b.pos + h * v_half
    out = [
        Term("v_half", "v½", f"v + {h:.4g} (−∇V)/m", v_half, VELOCITY),
        Term("x_half", "x½", f"x + {h:.4g} v½", x_half),
        Term("c1", "e^(−γΔt/m)", f"exp(−{r.friction:.4g}·{r.dt:.4g}/{m:.4g})", c1),
    ]
    force1 = -_grad(V, a.pos)
    v_fric = v_half * c1
    if r.name == "langevin" and r.temperature > 0.0:
        v_out = a.vel - (h / m) * force1  # after the thermal kick, from the ball's new velocity
        sigma = math.sqrt((1.0 - c1 * c1) * r.temperature / m)
        out.append(Term("v_fric", "e^(−γΔt/m) v½", f"{c1:.6g} v½", v_fric, VELOCITY))
        out.append(Term("sigma", "σ", f"√((1 − c²) {r.temperature:.4g} / m)", sigma))
        out.append(Term("noise", "σ ξ", "thermal kick (random)", v_out - v_fric, VELOCITY))
    else:
        v_out = v_fric
        out.append(Term("v_fric", "e^(−γΔt/m) v½", f"{c1:.6g} v½", v_fric, VELOCITY))
    out.append(Term("x1", "x'", f"x½ + {h:.4g} v½'", x_half + h * v_out))
    out.append(Term("force1", "−∇V(x')", "−∇V(x')", force1, FORCE))
    out.append(Term("v1", "v'", f"v½' + {h:.4g} (−∇V(x'))/m", v_out + (h / m) * force1,
                    VELOCITY))
    return out


def preview(world: World, row: int) -> Readout:
    """The readout of the world's next tick for one ball; the world is left exactly as it was
    (it is saved, ticked once and loaded back)."""
    saved = world.save_state()
    edits = world.edits
    try:
        before = capture(world, row)
        world.tick()
        after = capture(world, row)
    finally:
        world.load_state(saved)
        world.edits = edits  # nothing changed: a timeline need not fork
    return readout(before, after, world.potential)


class StepWatch:
    """Follows one selected ball across ticks: call `before_tick` just before a tick and
    `after_tick` just after it; `last` is then that tick's readout (cheap: one row copied)."""

    def __init__(self) -> None:
        self.row: int | None = None
        self.last: Readout | None = None
        self._before: BallState | None = None

    def select(self, row: int | None) -> None:
        self.row, self.last, self._before = row, None, None

    def before_tick(self, world: World) -> None:
        ok = self.row is not None and self.row < world.n
        self._before = capture(world, self.row) if ok else None

    def after_tick(self, world: World) -> Readout | None:
        b = self._before
        if b is not None and b.row < world.n:
            self.last = readout(b, capture(world, b.row), world.potential)
        self._before = None
        return self.last


def explain_last(world: World, timeline, row: int) -> Readout | None:
    """The readout of the tick that brought the world to where it stands, for a ball chosen
    after that tick: the timeline (sim/timeline.py) restores the tick before, then this one
    again (the world ends bit for bit as it was, the timeline keeps its future). None when the
    timeline does not hold both ticks."""
    t = int(world.tick_count)
    if t < 1 or not (timeline.has(t - 1) and timeline.has(t)):
        return None
    timeline.restore(world, t - 1)
    before = capture(world, row)
    timeline.restore(world, t)
    return readout(before, capture(world, row), world.potential)
