"""The update rules' common ground: `Rule` (a rule's name and parameters), `State` (the arrays
a step updates), `step` (dispatch to the rule's own step, through the registry), schedules and
how state carries over when the world switches rule. Each rule lives in its own module in
sim/rules/ and declares everything about itself there (sim/rules/base.py).

How state carries over when the world switches rule (World.set_rule), by each spec's `carry`:
- "buffer" <-> "buffer" (momentum, nesterov) keep the buffer u;
- "velocity" (newton, langevin) -> "buffer": u = -v dt / lr (the same displacement per tick);
- "buffer" -> "velocity": v = -lr u / dt;
- "velocity" -> "velocity": velocity is velocity;
- anything else -> "velocity": v = 0 (those rules carry no momentum);
- every other switch: fresh buffers and step count (a new torch optimizer). Extra buffers
  (BufferSpec) are always fresh after a switch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.rules.base import Family, RuleSpec, option
from sim.rules.physics.newtonian import INTEGRATORS
from sim.rules.params import LEGACY_DEFAULTS, check_given, all_params, param_spec

EPS_FALLBACK = 1e-8  # eps for a rule whose spec has none


_REGISTRY: Any = None


def _registry():
    global _REGISTRY
    if _REGISTRY is None:
        from sim.rules import registry
        _REGISTRY = registry
    return _REGISTRY


class Rule:
    """One update rule: its name, the parameters the user set, the lr schedule and minibatch.
    Immutable: change with `with_`. Every parameter reads as an attribute (`r.lr`, `r.beta`)
    or with `r.opt(name)`: the value set, else the rule's spec default (torch's), else the
    legacy default (LEGACY_DEFAULTS). `r.eps` reads None where eps is not set (`eps_value`
    resolves it)."""

    def __init__(self, name: str = "gd", *, schedule: str = "constant", batch: int = 0,
                 **params: Any) -> None:
        if schedule != "constant":
            from sim.rules.schedules import parse_schedule

            parse_schedule(schedule)  # ValueError with a one-line reason
        specs = _registry().specs()
        if name not in specs:
            raise ValueError(f"unknown dynamics '{name}'; choose one of: {', '.join(specs)}")
        integ = params.get("integrator")
        if integ is not None and integ not in INTEGRATORS:
            raise ValueError(f"unknown integrator '{integ}'; choose one of: {', '.join(INTEGRATORS)}")
        if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 0:
            raise ValueError(f"--batch must be a whole number >= 0, got {batch!r}")
        given = {}
        for k, v in params.items():
            if v is not None:  # None: not set (the default)
                given[k] = check_given(k, v, name)
        set_ = object.__setattr__
        set_(self, "name", name)
        set_(self, "schedule", schedule)
        set_(self, "batch", int(batch) if specs[name].minibatch else 0)
        set_(self, "_given", given)
        set_(self, "_key", None)

    # -- reading parameters ------------------------------------------------------------------
    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            given = object.__getattribute__(self, "_given")
        except AttributeError:
            raise AttributeError(key) from None
        if key in given:
            value = given[key]
        elif key == "eps":
            value = None
        else:
            value = self._default(key)
        object.__setattr__(self, key, value)  # immutable: read it directly from now on
        return value

    def _default(self, key: str) -> Any:
        own = self.spec.param(key)
        if own is not None:
            return own.default
        if key in LEGACY_DEFAULTS:
            return LEGACY_DEFAULTS[key]
        p = param_spec(key)
        if p is None:
            raise AttributeError(f"no rule has a parameter '{key}'")
        return p.default

    def opt(self, key: str) -> Any:
        """Parameter `key` as this rule reads it: the value set, else the spec's default."""
        if key in self._given:
            return self._given[key]
        if key == "eps" and self.spec.param("eps") is None:
            return EPS_FALLBACK
        return self._default(key)

    def is_set(self, key: str) -> bool:
        """Whether the user set parameter `key` (else it reads its default)."""
        return key in self._given

    @property
    def given(self) -> dict[str, Any]:
        """The parameters the user set (a copy)."""
        return dict(self._given)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"Rule is immutable: use with_({key}=...)")

    def with_(self, **changes: Any) -> "Rule":
        name = changes.pop("name", self.name)
        schedule = changes.pop("schedule", self.schedule)
        batch = changes.pop("batch", self.batch)
        params = {**self._given, **changes}
        return Rule(name, schedule=schedule, batch=batch, **params)

    def __reduce__(self):
        return (_rebuild, (self.name, self.schedule, self.batch, dict(self._given)))

    def _cmp_key(self) -> tuple:
        key = object.__getattribute__(self, "_key")
        if key is None:
            names = sorted(set(LEGACY_DEFAULTS) | set(self.spec.param_names) | set(self._given))
            key = (self.name, self.schedule, self.batch,
                   tuple((k, getattr(self, k)) for k in names))
            object.__setattr__(self, "_key", key)
        return key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Rule):
            return NotImplemented
        return self._cmp_key() == other._cmp_key()

    def __hash__(self) -> int:
        return hash(self._cmp_key())

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.spec.param_names)
        more = "".join(f", {k}={v!r}" for k, v in self._given.items() if k not in self.spec.param_names)
        extra = (f", schedule={self.schedule!r}" if self.schedule != "constant" else "") + \
            (f", batch={self.batch}" if self.batch else "")
        return f"Rule(name={self.name!r}, {inner}{more}{extra})"

    # -- what the rule is ----------------------------------------------------------------------
    @property
    def spec(self) -> RuleSpec:
        spec = self.__dict__.get("_spec")
        if spec is None:
            spec = _registry().specs()[self.name]
            object.__setattr__(self, "_spec", spec)
        return spec

    @property
    def newtonian(self) -> bool:
        return self.spec.newtonian

    @property
    def family(self) -> Family:
        return self.spec.family

    @property
    def step_name(self) -> str:
        """The parameter that sets this rule's step size: "dt" (newton family) or "lr"."""
        return "dt" if self.family == Family.NEWTON else "lr"

    @property
    def step_size(self) -> float:
        return self.dt if self.family == Family.NEWTON else self.lr

    def with_step(self, value: float) -> "Rule":
        """This rule with its step size (lr, or dt for the newton family) set to value."""
        return self.with_(**{self.step_name: value})

    @property
    def keeps_throw(self) -> bool:
        """Whether a thrown ball keeps its velocity (a momentum buffer or a real velocity)."""
        return self.spec.carry in ("buffer", "velocity")

    @property
    def eps_value(self) -> float:
        return self.opt("eps")

    @property
    def tick_time(self) -> float:
        """Simulated time one tick advances: dt for the newton family, 1 iteration otherwise."""
        return self.dt if self.spec.timed else 1.0

    def params(self) -> dict[str, Any]:
        """The effective parameters this rule reads (each resolved to its default)."""
        out: dict[str, Any] = {k: self.opt(k) for k in self.spec.param_names}
        if self.schedule != "constant" and self.spec.schedulable:
            out["schedule"] = self.schedule
        return out

    def label(self) -> str:
        """A short one-line description: rule name and its parameters."""
        parts = []
        for k, v in self.params().items():
            if not self.is_set(k) and k in self.spec.param_names and _off(self.spec.param(k).default):
                continue  # an option that is off and was not asked for (weight_decay 0, amsgrad)
            if isinstance(v, str) or v is None:
                parts.append(f"{k}={v}")
            elif isinstance(v, bool):
                parts.append(f"{k}={'true' if v else 'false'}")
            elif isinstance(v, tuple):
                parts.append(f"{k}={','.join(f'{t:.4g}' for t in v)}")
            else:
                parts.append(f"{k}={v:.4g}")
        if self.batch:
            parts.append(f"B={self.batch}")
        return f"{self.name}  " + "  ".join(parts)


def _off(default: Any) -> bool:
    """A default that means "this option is off": False or 0 (not None, a real choice)."""
    return default is False or (isinstance(default, (int, float)) and not isinstance(default, bool) and default == 0)


def _rebuild(name: str, schedule: str, batch: int, given: dict) -> Rule:
    return Rule(name, schedule=schedule, batch=batch, **given)


@dataclass
class State:
    """The arrays one rule updates in place, all of the same length n.

    pos, vel, grad, buf_a, buf_b, tmp, tmp2: [n, 2]; steps, dissipated: [n]; bufs: the rule's
    declared extra buffers (BufferSpec name -> [n, *shape] views).
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
    bufs: dict[str, np.ndarray] = field(default_factory=dict)


EXTRA_BUFFER_BUDGET = 2 * 1024**3  # bytes of declared extra buffers (all balls) a drop may need


def check_buffer_memory(r: Rule, n_balls: int, budget: int = EXTRA_BUFFER_BUDGET) -> None:
    """ValueError (one line) when n_balls balls of rule r would need more than `budget` bytes
    of the rule's declared extra buffers (lbfgs's histories: 40 x history_size bytes a ball)."""
    fields_ = buffer_fields(r)
    per_ball = sum(int(np.prod(shape, dtype=np.int64)) * np.dtype(dt).itemsize
                   for _, _, shape, dt in fields_)
    if not per_ball or n_balls * per_ball <= budget:
        return
    sizes = sorted({d for b in r.spec.buffers for d in b.shape if isinstance(d, str)})
    hint = "".join(f", or a smaller {option(s)} (now {r.opt(s)})" for s in sizes)
    raise ValueError(f"{r.name}: {n_balls} balls need {n_balls * per_ball / 1024**3:.1f} GB of "
                     f"state (limit {budget / 1024**3:.0f} GB): at most {budget // per_ball} "
                     f"balls{hint}")


def buffer_fields(r: Rule) -> list[tuple[str, str, tuple[int, ...], Any]]:
    """The extra buffers rule r needs as (BufferSpec name, Particles field name, trailing
    shape, dtype); str shape entries resolved to r's int parameters."""
    out = []
    for b in r.spec.buffers:
        shape = tuple(int(r.opt(d)) if isinstance(d, str) else int(d) for d in b.shape)
        out.append((b.name, f"{r.name}:{b.name}", shape, b.dtype))
    return out


def step(r: Rule, s: State, V, rng: np.random.Generator) -> bool:
    """Advance every particle in `s` by one tick of rule r. Returns whether s.grad = grad V(pos)."""
    spec = _registry().specs()[r.name]
    if r.schedule != "constant" and spec.schedulable:
        return _step_scheduled(r, s, V, rng)
    return spec.step(r, s, V, rng)


def newton_twin(r: Rule) -> Rule:
    """The Newtonian twin of heavy-ball momentum (or gd, beta = 0) with semi-implicit Euler:
    mass = dt^2 / lr, friction = (1 - beta) dt / lr, at the rule's dt."""
    if r.name not in ("gd", "momentum"):
        raise ValueError(f"{r.name} has no Newtonian twin (only gd and momentum do)")
    beta = r.beta if r.name == "momentum" else 0.0
    mass = r.dt * r.dt / r.lr
    return Rule(name="newton", integrator="symplectic", dt=r.dt, mass=mass,
                friction=(1.0 - beta) * r.dt / r.lr)


def _step_scheduled(r: Rule, s: State, V, rng) -> bool:
    """One tick of a schedulable rule whose lr follows r.schedule, per ball from its drop: the
    lr at a ball's k-th step (k = its step count before the step) is lr x lr_factor(k). The
    displacement is linear in lr (the buffers do not depend on it: RuleSpec.schedulable), so
    balls at different counts take the base step, then scale their displacement."""
    from sim.rules.schedules import lr_factor, parse_schedule

    base = r.with_(schedule="constant")
    k = s.steps.copy()
    f = lr_factor(parse_schedule(r.schedule), k)
    counts_self = r.spec.counts_steps
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
    """The state of particles p (sim.core.particles.Particles) at `rows` as the world switches them
    from rule `old` to `new` (the module docstring lists the cases)."""
    p.reset_extra(rows)
    a, b = old.spec.carry, new.spec.carry
    if a == "buffer" and b == "buffer":
        return
    if a == "velocity" and b == "buffer":
        p.buf_a[rows] = -p.vel[rows] * (old.dt / new.lr)
        p.buf_b[rows] = 0
        p.steps[rows] = 0
        return
    if a == "buffer" and b == "velocity":
        p.vel[rows] = -p.buf_a[rows] * (old.lr / new.dt)
    elif a == "velocity" and b == "velocity":
        pass  # velocity is velocity
    elif b == "velocity":
        p.vel[rows] = 0.0
    p.buf_a[rows] = 0
    p.buf_b[rows] = 0
    p.steps[rows] = 0


# --- the tables older code reads, derived from the registry on each use ------------------------

def _table(name: str) -> Any:
    specs = _registry().specs()
    if name == "RULES":
        return tuple(specs)
    if name == "FAMILY":
        return {k: s.family for k, s in specs.items()}
    if name == "RULE_PARAMS":
        return {k: s.param_names for k, s in specs.items()}
    if name == "EPS_DEFAULT":
        return {k: s.param("eps").default for k, s in specs.items() if s.param("eps") is not None}
    if name == "OPTIMIZERS":  # the rules an lr schedule applies to
        return tuple(k for k, s in specs.items() if s.schedulable)
    if name == "HEAVY_BALL":  # the rules with a momentum buffer u that a throw seeds
        return tuple(k for k, s in specs.items() if s.carry == "buffer")
    if name == "NEWTONIAN":
        return tuple(k for k, s in specs.items() if s.newtonian)
    if name == "TIMED":  # rules whose tick advances dt of simulated time
        return tuple(k for k, s in specs.items() if s.timed)
    raise AttributeError(name)


def __getattr__(name: str) -> Any:
    if name in ("RULES", "FAMILY", "RULE_PARAMS", "EPS_DEFAULT", "OPTIMIZERS", "HEAVY_BALL",
                "NEWTONIAN", "TIMED"):
        return _table(name)
    if name == "PARAM_RANGE":
        return {k: (p.lo, p.lo_ok, p.hi) for k, p in all_params().items() if p.kind is float}
    raise AttributeError(f"module 'sim.rules.dynamics' has no attribute '{name}'")
