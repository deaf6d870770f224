"""The balls on the landscape and how they come and go: drops (one per race lane, each with
its partner when the bridge is on), clouds, removal (a partner goes with its ball), restart,
clear, and the race lanes and partner pairs that follow the world's rules.

Part of the runtime (sim/runtime.py): `Runtime.balls`. It changes the world only through
World's own commands and tells the runtime's subscribers what changed.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from sim.instruments.curvature import LAM_SAMPLE, lam_max
from sim.instruments.race import find_or_add_rule
from sim.instruments.stability import lr_limit
from sim.rules.dynamics import Rule
from sim.rules import registry
from sim.core.events import Change
from sim.runtime.pairs import Pairs, partner_rule
from sim.core.particles import MAX_PARTICLES, CapacityError
from sim.core.world import World



class StepMemory(Protocol):
    """The runtime's `params` as the balls use it: the rule a lane's name stands for."""

    def rule_for(self, name: str) -> Rule: ...


class Host(Protocol):
    """What the balls need of the runtime that owns them (sim/runtime.py's Runtime is one):
    its world, its messages and its subscribers, and (its params) the rule a lane's name
    stands for."""

    world: World
    params: StepMemory

    def say(self, text: str, warn: bool = False, long: bool = False) -> None: ...

    def notify(self, change: Change) -> None: ...

DEFAULT_LANES = ("gd", "momentum", "nesterov", "adam", "newton")
WINDOW_MAX_BALLS = MAX_PARTICLES  # one ball limit for the window, the command line and scenes
CLOUD_SIZE = 200  # balls in a cloud drop


def cap_message(limit: int) -> str:
    return (f"ball limit reached: this window holds at most {limit:,} balls "
            "(C clears, right click removes)")


class Race:
    """Which rules a race drop uses: lanes chosen by name, or a scene's own rules."""

    def __init__(self) -> None:
        self.on = False
        self.lanes: list[str] = list(DEFAULT_LANES)
        self.world_lanes: list[int] | None = None  # a scene's lanes (rule ids) until a chip click

    def names(self, world: World) -> list[str]:
        if self.world_lanes is not None:
            return [world.rules[i].name for i in self.world_lanes]
        return list(self.lanes)


class Balls:
    """Drops, removals, race lanes and partner pairs of one runtime."""

    def __init__(self, rt: Host, seed: int, max_balls: int | None = None) -> None:
        self.rt = rt
        self.max_balls = int(WINDOW_MAX_BALLS if max_balls is None else max_balls)
        self.race = Race()
        self.twin_on = False
        self.pairs = Pairs()
        self.rng = np.random.default_rng([int(seed), 7])  # clouds (the world has its own)
        self.last_dropped: int | None = None
        self.selected: int | None = None  # the ball a click chose (the step panel reads it)
        w = rt.world
        self._n_seen = w.n
        self._rules_list = w.rules
        self._rules_seen = tuple(w.rules)
        self._world_seen = w

    def snapshot(self) -> tuple:
        """The bookkeeping a timeline keyframe keeps beside the world (see `load`)."""
        return (self.pairs.balls.copy(), self.pairs.twins.copy(), self._n_seen, self._rules_seen,
                self.selected, self.last_dropped)

    def load(self, snap: tuple | None) -> None:
        """Back to a `snapshot` (the world itself was restored by the timeline)."""
        if snap is None:
            return
        balls, twins, self._n_seen, self._rules_seen, selected, self.last_dropped = snap
        self.pairs.clear()
        self.pairs.add(balls, twins)
        self._rules_list = self.rt.world.rules
        self._world_seen = self.rt.world
        self.select(selected)

    def lane_names(self) -> list[str]:
        """What a race click drops, by rule name."""
        return self.race.names(self.rt.world)

    def toggles(self) -> dict[str, bool]:
        return {"race": self.race.on, "twin": self.twin_on}

    def restart(self) -> None:
        self.rt.world.restart()
        self._population_changed(Change.RESET)
        self.rt.say("restart from the drop points")

    def rewound(self) -> None:
        """The world was rewound (World.rewind): the paths start over."""
        self._population_changed(Change.RESET)

    def clear(self) -> None:
        self.rt.world.clear()
        self.last_dropped = None
        self._population_changed(Change.RESET)
        self.rt.say("cleared")

    def check_room(self, k: int) -> None:
        """CapacityError if k more balls would pass the window's limit."""
        if self.rt.world.n + int(k) > self.max_balls:
            raise CapacityError(cap_message(self.max_balls))

    def drop(self, pos: np.ndarray, vel: np.ndarray | None = None) -> slice | None:
        """Drop balls at pos [k, 2] (velocity [k, 2] in the current rule's units): one per race
        lane when racing, each with its partner when the twin toggle is on. Returns the first
        group's rows, or None (and a notice) when they do not fit."""
        try:
            self.check_room(len(pos))
            s = self._drop_groups(np.asarray(pos, dtype=np.float64).reshape(-1, 2), vel)
        except ValueError as e:
            self.rt.say(str(e), warn=True, long=True)
            return None
        self.last_dropped = s.start
        self._population_changed(Change.POPULATION)
        return s

    def drop_cloud(self, centre: np.ndarray, radius: float, vel: np.ndarray | None = None) -> slice | None:
        """CLOUD_SIZE balls spread uniformly over a disc of `radius` (world units)."""
        r = radius * np.sqrt(self.rng.random(CLOUD_SIZE))
        a = self.rng.random(CLOUD_SIZE) * 2.0 * np.pi
        pos = np.asarray(centre, float) + np.column_stack([r * np.cos(a), r * np.sin(a)])
        v = None if vel is None else np.broadcast_to(np.asarray(vel, float), pos.shape)
        s = self.drop(pos, v)
        if s is not None:
            self.rt.say(f"+{CLOUD_SIZE} balls")
        return s

    def _drop_groups(self, pos: np.ndarray, vel: np.ndarray | None) -> slice:
        w = self.rt.world
        ids = self._lane_ids() if self.race.on else [0]
        per_group = 2 if self.twin_on else 1
        if len(ids) * per_group > 1:
            self.check_room(len(pos) * len(ids) * per_group)
        first = None
        for rid in ids:
            rule = w.rules[rid]
            v = None if vel is None else vel * (w.rule.tick_time / rule.tick_time)
            s = w.drop(pos, v, rule_id=rid)
            if first is None:
                first = s
            if self.twin_on:
                self._add_partners(np.arange(s.start, s.stop), rule, v)
        self._n_seen = w.n
        return first

    def _lane_ids(self) -> list[int]:
        if self.race.world_lanes is not None:
            return list(self.race.world_lanes)
        # each lane as its rule key would make it: the window's step for that rule family
        return [find_or_add_rule(self.rt.world, self.rt.params.rule_for(n)) for n in self.race.lanes]

    def _add_partners(self, rows: np.ndarray, rule: Rule, vel: np.ndarray | None) -> None:
        """Drop the partner of each ball in rows (all under `rule`), remember the pairs."""
        from sim.support.text import fmt

        prule = partner_rule(rule)
        if prule is None or not len(rows):
            return
        w = self.rt.world
        if prule.name == "gd":  # gradient flow sampled with gd: unstable once lr·λmax >= 2
            lam = lam_max(w, w.particles.pos[rows[:LAM_SAMPLE]])
            if prule.lr * lam >= lr_limit(prule):
                self.rt.say(f"no flow ring: lr·λmax = {fmt(prule.lr * lam, 3)} ≥ 2   (lower dt "
                         "or raise friction)", warn=True)
                return
        tid = find_or_add_rule(w, prule)
        # a thrown momentum ball (u = -v/lr) has the twin velocity -(lr/dt) u = v/dt; gd keeps
        # no throw, and gradient flow has no velocity
        tvel = vel / rule.dt if vel is not None and rule.name == "momentum" else None
        t = w.drop(w.particles.pos[rows].copy(), tvel, rule_id=tid)
        self.pairs.add(rows, np.arange(t.start, t.stop))
        self._rules_seen = tuple(w.rules)

    def seed_drops(self) -> None:
        """The balls now in the world are the command line's (--particles / --start): while
        racing each gets a ball per lane beside it, with the twin toggle on a partner."""
        w = self.rt.world
        if not w.n:
            return
        if self.race.on:
            origin, rules = w.particles.origin.copy(), w.particles.rule.copy()
            for rid in self._lane_ids():
                if rid != 0:
                    w.drop(origin[rules == 0], rule_id=rid)
        if self.twin_on:
            rules = w.particles.rule.copy()
            for rid in np.unique(rules).tolist():
                self._add_partners(np.flatnonzero(rules == rid), w.rules[rid], None)
        self._n_seen = w.n
        self.rt.notify(Change.POPULATION)

    def remove_near(self, point, radius: float) -> int:
        """Remove the balls within radius of point (world units), each with its partner."""
        w = self.rt.world
        d = w.particles.pos - np.asarray(point, dtype=np.float64)
        mask = self.pairs.widen(np.einsum("ij,ij->i", d, d) <= radius * radius)
        removed = w.remove(mask)
        self._n_seen = w.n
        if removed:
            self.last_dropped = None
            self._population_changed(Change.POPULATION)
            self.rt.say(f"removed {removed:,} ball{'s' if removed != 1 else ''}")
        return removed

    def select(self, row: int | None) -> None:
        """Choose a ball (None: none)."""
        self.selected = row if row is not None and 0 <= row < self.rt.world.n else None

    def _population_changed(self, change: Change) -> None:
        """Fewer balls than before means rows moved: the pairs and the selection are gone."""
        if self.rt.world.n < self._n_seen:
            self.pairs.clear()
            self.selected = None
        self._n_seen = self.rt.world.n
        self.rt.notify(change)

    # == race and bridge =============================================================================
    def set_toggle(self, name: str, on: bool) -> None:
        """Switch the race ("race") or the partner drops ("twin")."""
        if name == "race":
            self.race.on = bool(on)
        elif name == "twin":
            self.twin_on = bool(on)
        else:
            raise KeyError(name)

    def toggle(self, name: str) -> None:
        self.set_toggle(name, not self.toggles()[name])
        on = self.toggles()[name]
        if name == "race":
            self.rt.say(f"race on: a click drops {', '.join(self.lane_names())}" if on else "race off")
            return
        r = self.rt.world.rule
        p = partner_rule(r)
        what = ("no twin for " + r.name if p is None else
                "each new ball brings its gradient-flow partner (ring)" if r.name == "newton"
                else "each new ball brings its Newtonian twin (ring)")
        self.rt.say(f"bridge on: {what}" if on else "bridge off")

    def toggle_lane(self, name: str) -> None:
        race = self.race
        if race.world_lanes is not None:  # from the scene's lanes to lanes chosen here
            race.lanes = sorted(set(self.lane_names()), key=registry.names().index)
            race.world_lanes = None
        if name in race.lanes:
            if len(race.lanes) == 1:
                self.rt.say("a race needs at least one lane", warn=True)
                return
            race.lanes.remove(name)
        else:
            race.lanes.append(name)
            race.lanes.sort(key=registry.names().index)
        self.rt.say(f"race lanes: {', '.join(race.lanes)}")

    def world_replaced(self) -> None:
        """The runtime holds a new world (a scene): paths start over, pairs go, its lanes race."""
        self.world_reset()
        self.rt.notify(Change.WORLD)

    def world_reset(self) -> None:
        """A new world or landscape: the pairs start over; a world with several rules (a
        scene's lanes) races those."""
        w = self.rt.world
        self.pairs.clear()
        self.selected = None  # rows of another world
        self.race.world_lanes = list(range(len(w.rules))) if len(w.rules) > 1 else None
        self._world_seen = w
        self._rules_list = w.rules
        self._rules_seen = tuple(w.rules)
        self._n_seen = w.n

    def sync(self) -> None:
        """Follow the world, whoever changed it: a new rule set drops the pairs; changed
        parameters re-derive each partner's rule (so the pair stays exact)."""
        w = self.rt.world
        if w is not self._world_seen:
            self.world_reset()
            self.rt.notify(Change.WORLD)
            return
        if w.rules is not self._rules_list:  # set_rule: every ball under one rule, no twins
            self.pairs.clear()
            self.race.world_lanes = None
            self._rules_list = w.rules
        if w.n < self._n_seen:
            self.pairs.clear()
        self._n_seen = w.n
        rules = tuple(w.rules)
        if rules == self._rules_seen:
            return
        self.pairs.rederive(w)
        self._rules_seen = tuple(w.rules)
