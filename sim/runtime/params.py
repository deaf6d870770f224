"""The current rule's parameters as the keys, sliders and typed values set them, the step size
remembered per rule family, and the ranges every control keeps them in (`Runtime.params`).
"""
from __future__ import annotations

import numpy as np

from sim.instruments.curvature import lam_max
from sim.instruments.bridge import overdamped_rules
from sim.rules.physics.newtonian import INTEGRATORS
from sim.rules.base import Family
from sim.rules.dynamics import Rule
from sim.landscapes.tuning import rescale, suggestions
from sim.core.world import World

STEP_RANGE = (1e-9, 1e3)  # lr and dt stay inside this
MAX_DT_BOOST = 16.0  # most extra ticks a second that make up for a dt the mass control lowered
FRICTION_RANGE = (1e-3, 1e4)  # friction below the low end becomes 0; 0 steps up to it
TEMPERATURE_RANGE = (1e-4, 1e4)
MASS_RANGE = (1e-4, 1e4)
WINDOW_SCHEDULES = ("constant", "cosine:2000", "step:500:0.5", "warmup:200")  # what Ctrl+T cycles

INTEGRATOR_NOTES = {
    "verlet": "velocity Verlet / BAOAB: second order, energy stays bounded",
    "symplectic": "semi-implicit Euler: symplectic, first order (momentum's twin)",
    "euler": "explicit Euler: energy drifts (watch the ledger)",
}


class Params:
    """The current rule's parameters, as the keys, sliders and typed values set them, and the
    step size the user chose per rule family (a rule switch takes its family's back)."""

    def __init__(self, rt) -> None:
        """rt: the Runtime it serves (its world, say and kept)."""
        self.rt = rt
        self.steps: list[float] = []
        self.remember(rt.world)

    def remember(self, world: World) -> None:
        """Start over from a world: its landscape's suggested steps, its current rule's own."""
        steps = list(suggestions(world.potential))
        steps[world.rule.family] = world.rule.step_size
        self.steps = steps

    def rule_for(self, name: str) -> Rule:
        """The current rule renamed, with that rule family's remembered step size."""
        new = self.rt.world.rule.with_(name=name)
        return new.with_step(self.steps[new.family])

    def follow_landscape(self, old: list[float], new: list[float], single: bool) -> None:
        """A new landscape's steps (suggested `new`, the last one's `old`): one rule takes the
        suggestions; with race lanes or twins the chosen steps move the same way as the rules
        (a step the mass control lowered stays lower)."""
        self.steps = list(new) if single else [rescale(s, a, b) for s, a, b in zip(self.steps, old, new)]

    def dt_boost(self) -> float:
        """How many more ticks a second to run because the mass control lowered newton's dt
        below the step the user chose: so a light ball keeps the pace of the chosen dt instead
        of crawling. At most MAX_DT_BOOST; 1 otherwise."""
        r = self.rt.world.rule
        if not r.newtonian or not r.dt > 0.0:
            return 1.0
        return float(min(max(self.steps[Family.NEWTON] / r.dt, 1.0), MAX_DT_BOOST))

    def scale_step(self, factor: float) -> None:
        """The step size (lr, or dt) times `factor`."""
        self.set_value("step", self.rt.world.rule.step_size * factor)

    def scale_friction(self, factor: float) -> None:
        """The friction times `factor` (0 steps up to the low end of its range)."""
        f = self.rt.world.rule.friction
        if f == 0.0:  # 0 steps up to the low end of the range
            self.set_value("friction", FRICTION_RANGE[0] if factor > 1 else 0.0)
        else:
            self.set_value("friction", f * factor)

    def scale_temperature(self, factor: float) -> None:
        """The temperature times `factor` (0 steps up to the low end of its range)."""
        t = self.rt.world.rule.temperature
        self.set_value("temperature", TEMPERATURE_RANGE[0] if t == 0.0 and factor > 1 else t * factor)

    def set_value(self, name: str, value: float) -> None:
        """One parameter to a value (the sliders and typed values; the keys scale by a factor):
        "step" (lr, or dt for the newton family), "beta", "mass", "friction", "temperature",
        "time_scale". Kept inside its range; friction and temperature below their range are 0."""
        r = self.rt.world.rule
        value = float(value)
        if name == "step":
            self._set_param(r.step_name, float(np.clip(value, *STEP_RANGE)))
            self.steps[r.family] = self.rt.world.rule.step_size
        elif name in ("friction", "temperature"):
            lo, hi = FRICTION_RANGE if name == "friction" else TEMPERATURE_RANGE
            value = 0.0 if value < lo else min(value, hi)
            used = r.newtonian if name == "friction" else r.name == "langevin"
            self._set_param(name, value, "" if used else
                            "   (used by newton, langevin)" if name == "friction" else "   (used by langevin)")
        elif name == "mass":
            self.scale_mass(value / r.mass)
        elif name == "time_scale":
            self.rt.scale_time(value / self.rt.time_scale)
        else:
            self._set_param(name, value)

    def _set_param(self, name: str, value: float, note: str = "") -> None:
        """One parameter of the current rule, said with its new value (a bad value: a warning)."""
        try:
            self.rt.world.set_params(**{name: value})
        except ValueError as e:
            self.rt.say(str(e), warn=True)
            return
        self.rt.balls.sync()
        self.rt.kept()
        v = getattr(self.rt.world.rule, name)
        self.rt.say(f"{name} = {v if isinstance(v, str) else format(v, '.4g')}{note}")

    def cycle_schedule(self) -> None:
        """The optimizer rules' learning-rate schedule: constant → cosine → step → warmup, per
        ball from its drop (as torch's schedulers, sim/schedules.py)."""
        from sim.rules.dynamics import OPTIMIZERS

        r = self.rt.world.rule
        if r.name not in OPTIMIZERS:
            self.rt.say(f"schedules are for the optimizer rules, not {r.name}", warn=True)
            return
        i = WINDOW_SCHEDULES.index(r.schedule) if r.schedule in WINDOW_SCHEDULES else -1
        self._set_param("schedule", WINDOW_SCHEDULES[(i + 1) % len(WINDOW_SCHEDULES)],
                        "   (lr per ball from its drop)")

    def cycle_integrator(self) -> None:
        """The newton family's next integrator (verlet, symplectic, euler)."""
        r = self.rt.world.rule
        new = INTEGRATORS[(INTEGRATORS.index(r.integrator) + 1) % len(INTEGRATORS)]
        self.rt.world.set_params(integrator=new)
        self.rt.balls.sync()
        self.rt.kept()
        note = (INTEGRATOR_NOTES[new] if r.name == "newton" else
                "langevin always steps with BAOAB" if r.name == "langevin" else "used by newton")
        self.rt.say(f"integrator = {new}   ({note})")

    def scale_mass(self, factor: float) -> None:
        """Scale the newton mass at fixed friction, with the step overdamped_rules allows: the
        Newtonian path slides toward gradient flow (its twin partner) as the mass goes to 0."""
        from sim.support.text import fmt

        w = self.rt.world
        r = w.rule
        if not r.newtonian:
            self.rt.say("mass is newton's and langevin's (press N)", warn=True)
            return
        mass = float(np.clip(r.mass * factor, *MASS_RANGE))
        want = self.steps[Family.NEWTON]  # the newton family's step the user chose
        newton, _flow = overdamped_rules(r.friction, mass, want, lam_max(self.rt.world))
        w.set_params(mass=mass, dt=newton.dt)
        self.rt.balls.sync()
        self.rt.kept()
        note = ""
        if newton.dt < want:
            boost = self.dt_boost()
            slower = "; motion slower" if boost < want / newton.dt else ""
            note = f"   dt = {fmt(newton.dt, 3)} (kept stable), ×{boost:.3g} ticks a second{slower}"
        self.rt.say(f"mass = {mass:.4g}{note}")
