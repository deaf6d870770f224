"""The runtime: everything a key or a click can change, with no pygame in it.

A `Runtime` owns the world, the step size remembered per rule family, the clock (paused,
time scale, accumulator) and `balls` (sim/balls.py: drops, removals, race lanes, partner
pairs). Every command the window issues is a method here or on `balls`; the command line,
scenes and tests call the same methods. Whoever shows the state subscribes:
`subscribe(callback)` gets a `Change` after each command that changed something,
`listen(callback)` gets the one-line notices a command says (the window shows them as
toasts). Nothing outside reaches into it.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from sim.instruments.curvature import lam_max
from sim.instruments.bridge import overdamped_rules
from sim.core.clock import TICK_HZ, advance
from sim.data.base import is_data
from sim.rules.physics.newtonian import INTEGRATORS
from sim.rules.base import Family
from sim.rules.dynamics import Rule
from sim.rules import registry
from sim.runtime.balls import Balls
from sim.core.events import Change, Notice
from sim.runtime.pairs import retuned_rules
from sim.runtime.step_readout import StepWatch
from sim.runtime.timeline import Timeline
from sim.landscapes.tuning import rescale, suggest, suggestions
from sim.core.world import World

TIME_SCALE_RANGE = (1.0 / 64.0, 64.0)
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


class Runtime:
    """World + step memory + clock + balls, and every command on them."""

    def __init__(self, world: World, seed: int = 0, history_bytes: int | None = None) -> None:
        """history_bytes: the timeline's budget (None: its default, 200 MB; 1 byte: no
        keyframe fits, no past is kept, as a headless `--steps` run wants)."""
        self.world = world
        world.keep_prev = True
        self.paused = False
        self.time_scale = 1.0
        self.acc = 0.0
        self.alpha = 0.0
        self.ticks_run = 0  # ticks this runtime has run in all (a counter for the trails' fade)
        self.steps: list[float] = self._remembered_steps(world)
        self._subscribers: list[Callable[[Change], None]] = []
        self._listeners: list[Callable[[Notice], None]] = []
        self.balls = Balls(self, seed)
        self.timeline = Timeline(extra=self.balls.snapshot) if history_bytes is None else \
            Timeline(budget_bytes=history_bytes, extra=self.balls.snapshot)  # the past, to scrub back to
        self.watch = StepWatch()  # the chosen ball's last tick, spelled out
        self.left_data: dict = {}  # data landscape name -> as last left (landscape_named)
        self.timeline.record(world)

    # == observers ===================================================================================
    def subscribe(self, callback: Callable[[Change], None]) -> None:
        self._subscribers.append(callback)

    def listen(self, callback: Callable[[Notice], None]) -> None:
        self._listeners.append(callback)

    def notify(self, change: Change) -> None:
        """Tell every subscriber what changed (and note the state in the timeline)."""
        if change is not Change.SCRUB:
            self.timeline.record(self.world)
        for cb in list(self._subscribers):
            cb(change)

    def kept(self, always: bool = False) -> None:
        """Note a command's change in the timeline (a command no subscriber redraws for: a rule
        or a parameter): made at a scrubbed tick, it forks the future there at once, as a drop
        does. At the live tick the next tick's record notes it (a keyframe costs ~8 ms at
        100,000 balls: not one per slider motion); `always`: note it now in any case."""
        last = self.timeline.last
        if always or (last is not None and last > self.world.tick_count):
            self.timeline.record(self.world)

    def say(self, text: str, warn: bool = False, long: bool = False) -> None:
        note = Notice(text, warn, long)
        for cb in list(self._listeners):
            cb(note)

    # == reading =====================================================================================
    @property
    def rule(self) -> Rule:
        return self.world.rule

    def rule_for(self, name: str) -> Rule:
        """The current rule renamed, with that rule family's remembered step size."""
        new = self.world.rule.with_(name=name)
        return new.with_step(self.steps[new.family])

    def dt_boost(self) -> float:
        """How many more ticks a second to run because the mass control lowered newton's dt
        below the step the user chose: so a light ball keeps the pace of the chosen dt instead
        of crawling. At most MAX_DT_BOOST; 1 otherwise."""
        r = self.world.rule
        if not r.newtonian or not r.dt > 0.0:
            return 1.0
        return float(min(max(self.steps[Family.NEWTON] / r.dt, 1.0), MAX_DT_BOOST))

    def throw_time(self, seconds: float) -> float:
        """Simulated time in `seconds` of real time at time scale 1."""
        return seconds * TICK_HZ * self.world.rule.tick_time

    @staticmethod
    def _remembered_steps(world: World) -> list[float]:
        steps = list(suggestions(world.potential))
        steps[world.rule.family] = world.rule.step_size
        return steps

    # == the clock ===================================================================================
    def toggle_pause(self) -> None:
        self.paused = not self.paused
        self.say("paused" if self.paused else "running")

    def single_step(self) -> None:
        self.paused = True
        self.tick(1)
        self.say(f"tick {self.world.tick_count:,}")

    def scale_time(self, factor: float) -> None:
        self.time_scale = float(np.clip(self.time_scale * factor, *TIME_SCALE_RANGE))
        self.say(f"time {time_scale_label(self.time_scale)}")

    def advance(self, frame_seconds: float) -> int:
        """One frame of real time: the ticks the accumulator grants (none while paused)."""
        if self.paused:
            self.alpha = 1.0
            return 0
        adv = advance(self.acc, frame_seconds, self.time_scale * self.dt_boost())
        self.acc, self.alpha = adv.acc, adv.alpha
        self.tick(adv.ticks)
        return adv.ticks

    def tick(self, n: int) -> None:
        if n <= 0:
            return
        w, watch = self.world, self.watch
        if watch.row != self.balls.selected:  # rows moved, or the choice changed
            watch.select(self.balls.selected)
        if watch.row is None:
            w.tick(n)
        else:  # the chosen ball's last tick is spelled out (the same ticks, one by one at the end)
            w.tick(n - 1)
            watch.before_tick(w)
            w.tick(1)
            watch.after_tick(w)
        self.ticks_run += n
        self.notify(Change.TICKS)

    # == rules and parameters ========================================================================
    def set_rule(self, name: str) -> None:
        new = self.rule_for(name)
        self.world.set_rule(new)
        self.balls.sync()
        self.kept()
        self.say(new.label())

    def cycle_rule(self, direction: int) -> None:
        name = self.world.rule.name
        names = registry.names()  # Tab order
        i = names.index(name) if name in names else 0
        self.set_rule(names[(i + direction) % len(names)])

    def set_potential(self, potential) -> None:
        """Switch landscape: take its suggested step sizes, keep the balls (race lanes and
        twins keep their rules, each step rescaled to the new landscape)."""
        left = self.world.potential
        if getattr(left, "data", None) is not None and left is not potential:
            self.left_data[left.name] = left  # its data (a file, edits) wait for a pick by name
        old = list(suggestions(left))
        self.world.set_potential(potential)
        new = list(suggestions(potential))
        if len(self.world.rules) == 1:
            self.steps = new
            self.world.set_rule(suggest(potential, self.world.rule))
        else:
            self.world.retune(retuned_rules(self.world.rules, old, new))
            # the chosen steps move the same way (a step the mass control lowered stays lower)
            self.steps = [rescale(s, a, b) for s, a, b in zip(self.steps, old, new)]
        self.balls.sync()
        self.notify(Change.LANDSCAPE)
        data = potential.data if is_data(potential) else None
        kept = f"    data as you left it: {data.source or 'edited'}, n={data.n}" \
            if data is not None and self.left_data.get(potential.name) is potential else ""
        self.say(f"{potential.name}    {self.world.rule.label()}{kept}")

    def landscape_named(self, potential):
        """What a pick of `potential` by name (a landscape key, the panel) switches to: a data
        landscape as it was last left (its loaded or edited data), or the current one when it
        is already that landscape; else `potential`."""
        if potential.name == self.world.potential.name and getattr(self.world.potential, "data", None) is not None:
            return self.world.potential
        return self.left_data.get(potential.name, potential)

    def adopt(self, rule: Rule) -> None:
        """The current rule's setting from a map (the hyperparameter plane): its name, step,
        beta, friction, as the keys and sliders would set them."""
        if rule.name != self.world.rule.name:
            self.set_rule(rule.name)
        self.set_value("step", rule.step_size)
        if rule.newtonian:
            self.set_value("friction", rule.friction)
        elif rule.name in ("momentum", "nesterov"):
            self.set_value("beta", rule.beta)

    def replace_landscape(self, potential) -> None:
        """The same landscape on edited data: balls, rules, steps and view stay."""
        self.world.set_potential(potential)
        self.balls.sync()
        self.notify(Change.DATA)

    def scale_step(self, factor: float) -> None:
        self.set_value("step", self.world.rule.step_size * factor)

    def scale_friction(self, factor: float) -> None:
        f = self.world.rule.friction
        if f == 0.0:  # 0 steps up to the low end of the range
            self.set_value("friction", FRICTION_RANGE[0] if factor > 1 else 0.0)
        else:
            self.set_value("friction", f * factor)

    def scale_temperature(self, factor: float) -> None:
        t = self.world.rule.temperature
        self.set_value("temperature", TEMPERATURE_RANGE[0] if t == 0.0 and factor > 1 else t * factor)

    def set_value(self, name: str, value: float) -> None:
        """One parameter to a value (the sliders and typed values; the keys scale by a factor):
        "step" (lr, or dt for the newton family), "beta", "mass", "friction", "temperature",
        "time_scale". Kept inside its range; friction and temperature below their range are 0."""
        r = self.world.rule
        value = float(value)
        if name == "step":
            self._set_param(r.step_name, float(np.clip(value, *STEP_RANGE)))
            self.steps[r.family] = self.world.rule.step_size
        elif name in ("friction", "temperature"):
            lo, hi = FRICTION_RANGE if name == "friction" else TEMPERATURE_RANGE
            value = 0.0 if value < lo else min(value, hi)
            used = r.newtonian if name == "friction" else r.name == "langevin"
            self._set_param(name, value, "" if used else
                            "   (used by newton, langevin)" if name == "friction" else "   (used by langevin)")
        elif name == "mass":
            self.scale_mass(value / r.mass)
        elif name == "time_scale":
            self.scale_time(value / self.time_scale)
        else:
            self._set_param(name, value)

    def _set_param(self, name: str, value: float, note: str = "") -> None:
        try:
            self.world.set_params(**{name: value})
        except ValueError as e:
            self.say(str(e), warn=True)
            return
        self.balls.sync()
        self.kept()
        v = getattr(self.world.rule, name)
        self.say(f"{name} = {v if isinstance(v, str) else format(v, '.4g')}{note}")

    def cycle_schedule(self) -> None:
        """The optimizer rules' learning-rate schedule: constant → cosine → step → warmup, per
        ball from its drop (as torch's schedulers, sim/schedules.py)."""
        from sim.rules.dynamics import OPTIMIZERS

        r = self.world.rule
        if r.name not in OPTIMIZERS:
            self.say(f"schedules are for the optimizer rules, not {r.name}", warn=True)
            return
        i = WINDOW_SCHEDULES.index(r.schedule) if r.schedule in WINDOW_SCHEDULES else -1
        self._set_param("schedule", WINDOW_SCHEDULES[(i + 1) % len(WINDOW_SCHEDULES)],
                        "   (lr per ball from its drop)")

    def cycle_integrator(self) -> None:
        r = self.world.rule
        new = INTEGRATORS[(INTEGRATORS.index(r.integrator) + 1) % len(INTEGRATORS)]
        self.world.set_params(integrator=new)
        self.balls.sync()
        self.kept()
        note = (INTEGRATOR_NOTES[new] if r.name == "newton" else
                "langevin always steps with BAOAB" if r.name == "langevin" else "used by newton")
        self.say(f"integrator = {new}   ({note})")

    def scale_mass(self, factor: float) -> None:
        """Scale the newton mass at fixed friction, with the step overdamped_rules allows: the
        Newtonian path slides toward gradient flow (its twin partner) as the mass goes to 0."""
        from sim.support.text import fmt

        w = self.world
        r = w.rule
        if not r.newtonian:
            self.say("mass is newton's and langevin's (press N)", warn=True)
            return
        mass = float(np.clip(r.mass * factor, *MASS_RANGE))
        want = self.steps[Family.NEWTON]  # the newton family's step the user chose
        newton, _flow = overdamped_rules(r.friction, mass, want, lam_max(self.world))
        w.set_params(mass=mass, dt=newton.dt)
        self.balls.sync()
        self.kept()
        note = ""
        if newton.dt < want:
            boost = self.dt_boost()
            slower = "; motion slower" if boost < want / newton.dt else ""
            note = f"   dt = {fmt(newton.dt, 3)} (kept stable), ×{boost:.3g} ticks a second{slower}"
        self.say(f"mass = {mass:.4g}{note}")

    # == the past ==================================================================================
    def scrub(self, tick: int) -> bool:
        """Put the world back (or forward) at a tick the timeline holds, paused: continuing from
        there without a change replays the same future bit for bit; a change forks a new one."""
        self.paused = True
        self.kept(always=True)  # a change not yet noted (whoever made it) forks here before the world moves
        try:
            extra = self.timeline.restore(self.world, int(tick))
        except ValueError as e:
            self.say(str(e), warn=True)
            return False
        self.balls.load(extra)
        self.watch.select(self.balls.selected)
        self.acc, self.alpha = 0.0, 1.0
        self.notify(Change.SCRUB)
        return True

    def rewind(self) -> None:
        """Every ball back at its drop point with fresh optimizer state and the run's first
        random stream: the same run replays exactly."""
        self.world.rewind()
        self.balls.rewound()
        self.say("rewind: every ball at its drop point, the same random stream")

    def select(self, row: int | None) -> None:
        """Choose a ball (None: none): the step panel spells out its last tick."""
        from sim.runtime.step_readout import explain_last

        self.balls.select(row)
        self.watch.select(self.balls.selected)
        if self.balls.selected is None:
            return
        # the last tick replayed from the timeline; the world is put back exactly as it is now
        # (a ball dropped since that tick, or a parameter changed since, must survive: noted
        # in the timeline first, so that putting it back is no change and forks nothing)
        self.kept(always=True)
        now = self.world.save_state()
        try:
            self.watch.last = explain_last(self.world, self.timeline, self.balls.selected)
        except (IndexError, ValueError):  # the ball did not exist a tick ago
            self.watch.last = None
        finally:
            self.world.load_state(now)
            self.timeline.resume(self.world)

    # == a new world =================================================================================
    def load_world(self, world: World, paused: bool) -> None:
        """Put a loaded scene's world in place: its rules, balls and clock, paused or not."""
        world.keep_prev = True
        self.world = world
        self.steps = self._remembered_steps(world)
        self.paused = bool(paused)
        self.acc = 0.0
        self.alpha = 1.0
        self.balls.last_dropped = None
        self.balls.world_replaced()


def time_scale_label(s: float) -> str:
    if s >= 1:
        return f"×{s:g}"
    return f"÷{1 / s:g}"
