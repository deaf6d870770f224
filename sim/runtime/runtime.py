"""The runtime: everything a key or a click can change, with no pygame in it.

A `Runtime` owns the world, the clock (paused, time scale, accumulator), the past (the
timeline, scrubbing, the chosen ball's last tick) and its collaborators, one per job:
`params` (sim/runtime/params.py: the current rule's parameters and the step size remembered per rule family),
`switch` (sim/runtime/switches.py: the rule and the landscape), `balls` (sim/runtime/balls.py:
drops, removals, race lanes, partner pairs) and `channel` (sim/runtime/channel.py). Every
command the window issues is a method here or on one of them; the command line, scenes and
tests call the same methods. Whoever shows the state subscribes: `subscribe(callback)` gets a
`Change` after each command that changed something, `listen(callback)` gets the one-line
notices a command says (the window shows them as toasts). Nothing outside reaches into it.
"""
from __future__ import annotations

import numpy as np

from sim.core.clock import TICK_HZ, advance
from sim.rules.dynamics import Rule
from sim.runtime.balls import Balls
from sim.runtime.channel import Channel
from sim.runtime.params import Params
from sim.core.events import Change
from sim.runtime.step_readout import StepWatch
from sim.runtime.switches import Switches
from sim.runtime.timeline import Timeline
from sim.core.world import World

TIME_SCALE_RANGE = (1.0 / 64.0, 64.0)


class Runtime:
    """World + clock + the past, and the collaborators that own the other commands."""

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
        self.channel = Channel()
        # the runtime's voice is its channel's: callers subscribe, listen and say here
        self.subscribe, self.listen, self.say = self.channel.subscribe, self.channel.listen, self.channel.say
        self.params = Params(self)
        self.switch = Switches(self)
        self.balls = Balls(self, seed)
        self.timeline = Timeline(extra=self.balls.snapshot) if history_bytes is None else \
            Timeline(budget_bytes=history_bytes, extra=self.balls.snapshot)  # the past, to scrub back to
        self.watch = StepWatch()  # the chosen ball's last tick, spelled out
        self.timeline.record(world)

    # == the timeline hooks ==========================================================================
    def notify(self, change: Change) -> None:
        """Tell every subscriber what changed (and note the state in the timeline)."""
        if change is not Change.SCRUB:
            self.timeline.record(self.world)
        self.channel.tell(change)

    def kept(self, always: bool = False) -> None:
        """Note a command's change in the timeline (a command no subscriber redraws for: a rule
        or a parameter): made at a scrubbed tick, it forks the future there at once, as a drop
        does. At the live tick the next tick's record notes it (a keyframe costs ~8 ms at
        100,000 balls: not one per slider motion); `always`: note it now in any case."""
        last = self.timeline.last
        if always or (last is not None and last > self.world.tick_count):
            self.timeline.record(self.world)

    # == reading =====================================================================================
    @property
    def rule(self) -> Rule:
        """The current rule."""
        return self.world.rule

    def throw_time(self, seconds: float) -> float:
        """Simulated time in `seconds` of real time at time scale 1."""
        return seconds * TICK_HZ * self.world.rule.tick_time

    def adopt(self, rule: Rule) -> None:
        """The current rule's setting from a map (the hyperparameter plane): its name, step,
        beta, friction, as the keys and sliders would set them."""
        if rule.name != self.world.rule.name:
            self.switch.set_rule(rule.name)
        self.params.set_value("step", rule.step_size)
        if rule.newtonian:
            self.params.set_value("friction", rule.friction)
        elif rule.name in ("momentum", "nesterov"):
            self.params.set_value("beta", rule.beta)

    # == the clock ===================================================================================
    def toggle_pause(self) -> None:
        """Pause, or run on."""
        self.paused = not self.paused
        self.say("paused" if self.paused else "running")

    def single_step(self) -> None:
        """Pause and run one tick."""
        self.paused = True
        self.tick(1)
        self.say(f"tick {self.world.tick_count:,}")

    def scale_time(self, factor: float) -> None:
        """Simulated time runs `factor` times faster (within TIME_SCALE_RANGE)."""
        self.time_scale = float(np.clip(self.time_scale * factor, *TIME_SCALE_RANGE))
        self.say(f"time {time_scale_label(self.time_scale)}")

    def advance(self, frame_seconds: float) -> int:
        """One frame of real time: the ticks the accumulator grants (none while paused)."""
        if self.paused:
            self.alpha = 1.0
            return 0
        adv = advance(self.acc, frame_seconds, self.time_scale * self.params.dt_boost())
        self.acc, self.alpha = adv.acc, adv.alpha
        self.tick(adv.ticks)
        return adv.ticks

    def tick(self, n: int) -> None:
        """Run n ticks (the chosen ball's last one spelled out) and tell the subscribers."""
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
        self.params.remember(world)
        self.paused = bool(paused)
        self.acc = 0.0
        self.alpha = 1.0
        self.balls.last_dropped = None
        self.balls.world_replaced()


def time_scale_label(s: float) -> str:
    """A time scale as the window says it: ×4, ÷8."""
    if s >= 1:
        return f"×{s:g}"
    return f"÷{1 / s:g}"
