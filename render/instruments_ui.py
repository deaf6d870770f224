"""The six instruments in the window (race, bridge + twins, energy ledger, stability, basins,
heat): one controller the App owns as `App.instruments`. Numbers come from sim/instruments.py,
panels are drawn by render/panels.py; this module keeps the state between frames, turns keys
and clicks into commands on the world, and lays the panels out around the HUD.

How the App calls it (render/app.py):
- `handle(event) -> bool` first for every event: True means it was used here (Esc cancels a
  basin job; a click on a race lane chip toggles that lane; other clicks on a panel drop
  nothing).
- `command(arg)` for the key table's "instrument" bindings: a name from INSTRUMENTS toggles it;
  "integrator" cycles newton's integrator; ("mass", factor) scales the newton mass.
- `drop(pos, vel) -> slice` instead of `world.drop` for the mouse: one ball per race lane when
  racing, each with its twin when the twin toggle is on. `remove_near(point, radius)` instead of
  `world.remove_near` (a twin goes with its ball). `population_changed()` after either.
- `frame()` once per frame (advances the basin job in a time slice, even while paused);
  `after_ticks(n)` after the world ran n ticks (the ledger's live plot).
- `draw_map(surface)` over the map, under trails and balls (basin shading);
  `draw_marks(surface)` after the balls (twin rings); `draw_panels(surface)` inside the HUD,
  before the axes (so tick labels keep clear of the panels).
- `set(name, on)` and `states()` (App.set_instrument / instrument_states: `--show`, scenes),
  `seed_drops()` once the command line's balls are in, `world_changed()` for a new world.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pygame

from render import panels as P
from sim import instruments as ins
from sim.basin_levels import BASIN_PIXELS, FineBasinJob
from sim.dynamics import INTEGRATORS, RULES, Rule, newton_twin
from sim.particles import ALIVE

INSTRUMENTS = ("race", "twin", "ledger", "stability", "basins", "heat")  # panel order too
DEFAULT_LANES = ("gd", "momentum", "nesterov", "adam", "newton")
PANEL_WIDTH = 340  # pixels
GAP = 10  # pixels between panels
LEDGER_PLOT_H = 84  # pixels
HEAT_PLOT_H = 120
CHIP_COLUMNS = 4  # race lane chips per row
CHIP_GAP = 4
BASIN_TICKS_PER_FRAME = 400  # most basin ticks one frame runs ...
BASIN_SECONDS_PER_FRAME = 0.008  # ... and at most this much wall time (the window stays live)
BASIN_TICKS_CAP = 30000  # a basin job never runs more ticks than this
BASIN_BAR_SIZE = (360, 28)
MASS_RANGE = (1e-4, 1e4)
LAM_SAMPLE = 4096  # balls whose curvature bounds the mass control's dt
RING_RADIUS = 9  # pixels: a twin's ring
PAIRS_DRAWN_MAX = 3000  # twin rings drawn per frame at most
RING_OUTLINE = (14, 14, 20)

INTEGRATOR_NOTES = {
    "verlet": "velocity Verlet / BAOAB: second order, energy stays bounded",
    "symplectic": "semi-implicit Euler: symplectic, first order (momentum's twin)",
    "euler": "explicit Euler: energy drifts (watch the ledger)",
}


def partner_rule(rule: Rule) -> Rule | None:
    """The rule of the ball the twin toggle drops beside a `rule` ball, or None.

    gd / momentum: the exact Newtonian twin (symplectic, mass dt²/lr, friction (1−β)dt/lr).
    newton with friction: its overdamped limit, gradient flow (gd with lr = dt/friction); the
    two meet as the mass goes to 0 (the mass keys). Others have no partner.
    """
    if rule.name in ins.TWIN_RULES:
        return newton_twin(rule)
    if rule.name == "newton" and rule.friction > 0.0:
        return ins.gradient_flow_rule(rule.friction, rule.dt)
    return None


def _close(a: Rule, b: Rule) -> bool:
    """a and b step the same way (names equal, effective parameters equal to 1e-9)."""
    pa, pb = a.params(), b.params()
    if a.name != b.name or pa.keys() != pb.keys():
        return False
    return all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-300) if isinstance(x, float) else x == y
               for x, y in ((pa[k], pb[k]) for k in pa))


def _derived(r: Rule, q: Rule) -> Rule | None:
    """If rule r is the partner of rule q, a function giving r again from a new q; else None.

    r is the Newtonian twin of q (gd / momentum) at r's own dt: the twin's path per tick is the
    same at any dt, so a lesson may pick its own. Or r is the gradient flow of newton q
    (gd, lr = dt / friction)."""
    if q.name in ins.TWIN_RULES and r.name == "newton" and _close(r, newton_twin(q.with_(dt=r.dt))):
        return lambda q2: r.with_(**newton_twin(q2.with_(dt=r.dt)).params())
    if (q.name == "newton" and q.friction > 0.0 and r.name == "gd"
            and math.isclose(r.lr, q.dt / q.friction, rel_tol=1e-9)):
        return lambda q2: r.with_(lr=q2.dt / q2.friction)
    return None


def retuned_rules(rules: list[Rule], old: Sequence[float], new: Sequence[float]) -> list[Rule]:
    """The rules of a world with several (race lanes, twins) moved to a landscape whose
    suggested steps are `new` (they were `old`): each rule's step scaled by its family's ratio
    (tuning.rescale_step), except a rule that is the partner of another (a lesson's Newtonian
    twin of its momentum lane, the gradient flow of its newton lane): that one is derived again
    from its retuned partner, so the pair stays exact."""
    from render.tuning import rescale_step

    source: dict[int, tuple[int, Any]] = {}
    for j, r in enumerate(rules):
        for i, q in enumerate(rules):
            if i == j or source.get(i, (None,))[0] == j:
                continue
            make = _derived(r, q)
            if make is not None:
                source[j] = (i, make)
                break
    out: list[Rule | None] = [None] * len(rules)

    def final(j: int, seen: frozenset = frozenset()) -> Rule:
        if out[j] is None:
            i, make = source.get(j, (None, None))
            out[j] = (rescale_step(rules[j], old, new) if i is None or i in seen
                      else make(final(i, seen | {j})))
        return out[j]

    return [final(j) for j in range(len(rules))]


def _empty_pairs() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)


_wrap_cache: dict[tuple, int] = {}


def wrapped_rows(font: pygame.font.Font, text: str, width: int) -> int:
    """How many rows panels._Writer.wrapped uses for text at this width (cached)."""
    key = (id(font), text, width)
    hit = _wrap_cache.get(key)
    if hit is None:
        if len(_wrap_cache) > 256:
            _wrap_cache.clear()
        hit = _wrap_cache[key] = _count_wrapped(font, text, width)
    return hit


def _count_wrapped(font: pygame.font.Font, text: str, width: int) -> int:
    rows, line = 0, ""
    for w in text.split():
        trial = f"{line} {w}" if line else w
        if line and font.size(trial)[0] > width:
            rows += 1
            line = w
        else:
            line = trial
    return rows + (1 if line else 0)


def basin_ticks(rule) -> int:
    """Ticks a basin job may run: enough for a Newtonian ball to settle (its energy decays
    like exp(-friction t / m), so about 30 m / friction of simulated time), within bounds."""
    if rule.newtonian and rule.friction > 0:
        need = 30.0 * rule.mass / (rule.friction * rule.dt)
        return int(min(max(need, ins.BASIN_MAX_TICKS), BASIN_TICKS_CAP))
    return ins.BASIN_MAX_TICKS


class Instruments:
    """Instrument state between frames; see the module docstring for how the App drives it."""

    def __init__(self, app) -> None:
        self.app = app
        self.on: dict[str, bool] = dict.fromkeys(INSTRUMENTS, False)
        self.lanes: list[str] = list(DEFAULT_LANES)
        # a scene's own lanes (rule ids of its world) race instead, until a chip is clicked
        self.world_lanes: list[int] | None = None
        self.pairs = _empty_pairs()  # (ball rows, twin rows)
        self.ledger = P.LedgerHistory()
        self.job: FineBasinJob | None = None  # the basin job running or shown
        self.job_key: tuple | None = None
        self.old_job: FineBasinJob | None = None  # shown while a new view's job runs
        self.basin_budget = BASIN_TICKS_PER_FRAME
        self.basin_seconds: float | None = BASIN_SECONDS_PER_FRAME
        self.basin_pixels = BASIN_PIXELS  # one basin start per this many pixels square
        self.basin_sync = bool(app.headless)  # headless: run a job whole at once (deterministic)
        self.last_basin_ticks = 0  # ticks the last frame advanced the basin job
        self.rects: dict[str, pygame.Rect] = {}  # where each panel was drawn this frame
        self.chips: dict[str, pygame.Rect] = {}  # race lane chips, for clicks
        self._slots: dict[str, pygame.Rect] = {}
        self._sprites: dict[tuple[int, int, int], pygame.Surface] = {}
        self._n_seen = app.world.n
        self._world = app.world
        self._rules_list: list = app.world.rules
        self._rules_seen: tuple = tuple(app.world.rules)
        self._ledger_key: tuple | None = None
        self._ledger_now: tuple | None = None  # (frame, tick, n, totals) of the last sample

    @property
    def font(self) -> pygame.font.Font:
        return self.app.fonts.small

    # == state ====================================================================================
    def set(self, name: str, on: bool = True) -> None:
        """Switch one instrument on or off (KeyError for a name this window does not know)."""
        if name not in self.on:
            raise KeyError(name)
        on = bool(on)
        was = self.on[name]
        self.on[name] = on
        if name == "basins":
            if on and not was:
                self._start_basins()
            elif not on:
                self._stop_basins()
        elif name == "ledger" and on and not was:
            self._ledger_key = None  # the plot starts over with the next tick

    def states(self) -> dict[str, bool]:
        return dict(self.on)

    def seed_drops(self) -> None:
        """The balls now in the world are the command line's (--particles / --start): while
        racing each gets a ball per lane beside it, with the twin toggle on a twin (so headless
        pictures show lanes and twins)."""
        w = self.app.world
        if not w.n:
            return
        if self.on["race"]:
            origin, rules = w.particles.origin.copy(), w.particles.rule.copy()
            for rid in self._lane_ids():
                if rid != 0:
                    w.drop(origin[rules == 0], rule_id=rid)
        if self.on["twin"]:
            rules = w.particles.rule.copy()
            for rid in np.unique(rules).tolist():
                self._add_partners(np.flatnonzero(rules == rid), w.rules[rid], None)
        self._n_seen = w.n
        self.app.trails.forget_paths()

    def world_changed(self) -> None:
        """A new world or landscape (a scene, a formula): twins, ledger and basins start over;
        a world with several rules (a scene's lanes) races those."""
        self.pairs = _empty_pairs()
        rules = self.app.world.rules
        self.world_lanes = list(range(len(rules))) if len(rules) > 1 else None
        self._world = self.app.world
        self._rules_list = self.app.world.rules
        self._rules_seen = tuple(self.app.world.rules)
        self._n_seen = self.app.world.n
        self.ledger.clear()
        self._ledger_key = None
        self.old_job = None
        if self.on["basins"]:
            self._start_basins()

    # == input ====================================================================================
    def handle(self, event) -> bool:
        """Esc cancels the basin job or takes the basin map away (before it would quit); a
        left click on a race chip toggles that lane."""
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            if self.on["basins"]:
                running = self.job is not None and self.job.running
                self.set("basins", False)
                self.app.say("basins cancelled" if running else "basins off")
                return True
        elif event.type == pygame.MOUSEBUTTONDOWN and getattr(event, "button", 0) == 1:
            if self.on["race"]:
                for name, r in self.chips.items():
                    if r.collidepoint(event.pos):
                        self.toggle_lane(name)
                        return True
            # a click on a panel would drop a ball hidden under it
            return any(r.collidepoint(event.pos) for r in self.rects.values())
        return False

    def command(self, arg: Any) -> None:
        """A key from the table: an instrument name toggles it; "integrator"; ("mass", f)."""
        if isinstance(arg, tuple):
            name, value = arg
            getattr(self, "cmd_" + name)(value)
        elif arg == "integrator":
            self.cmd_integrator()
        else:
            self.toggle(arg)

    def toggle(self, name: str) -> None:
        self.set(name, not self.on[name])
        on = self.on[name]
        say = self.app.say
        if name == "race":
            say(f"race on: a click drops {', '.join(self.lane_names())}" if on else "race off")
        elif name == "twin":
            r = self.app.world.rule
            p = partner_rule(r)
            what = ("no twin for " + r.name if p is None else
                    "each new ball brings its gradient-flow partner (ring)" if r.name == "newton"
                    else "each new ball brings its Newtonian twin (ring)")
            say(f"bridge on: {what}" if on else "bridge off")
        elif name == "basins":
            if on:
                say(f"basins of {self.app.world.rule.name}: computing   (Esc cancels)")
            else:
                say("basins off")
        else:
            say(f"{name} {'on' if on else 'off'}")

    def lane_names(self) -> list[str]:
        """What a race click drops, by rule name."""
        if self.world_lanes is not None:
            return [self.app.world.rules[i].name for i in self.world_lanes]
        return list(self.lanes)

    def toggle_lane(self, name: str) -> None:
        if self.world_lanes is not None:  # from the scene's lanes to lanes chosen here
            self.lanes = sorted(set(self.lane_names()), key=RULES.index)
            self.world_lanes = None
        if name in self.lanes:
            if len(self.lanes) == 1:
                self.app.say("a race needs at least one lane", self.app._warn())
                return
            self.lanes.remove(name)
        else:
            self.lanes.append(name)
            self.lanes.sort(key=RULES.index)
        self.app.say(f"race lanes: {', '.join(self.lanes)}")

    def cmd_integrator(self, _arg: Any = None) -> None:
        w = self.app.world
        r = w.rule
        new = INTEGRATORS[(INTEGRATORS.index(r.integrator) + 1) % len(INTEGRATORS)]
        w.set_params(integrator=new)
        note = (INTEGRATOR_NOTES[new] if r.name == "newton" else
                "langevin always steps with BAOAB" if r.name == "langevin" else "used by newton")
        self.app.say(f"integrator = {new}   ({note})")

    def cmd_mass(self, factor: float) -> None:
        """Scale the newton mass at fixed friction, with the step overdamped_rules allows: the
        Newtonian path slides toward gradient flow (its twin partner) as the mass goes to 0."""
        app, w = self.app, self.app.world
        r = w.rule
        if not r.newtonian:
            app.say("mass is newton's and langevin's (press N)", app._warn())
            return
        mass = float(np.clip(r.mass * factor, *MASS_RANGE))
        want = app.steps[2]  # the newton family's step the user chose
        newton, _flow = ins.overdamped_rules(r.friction, mass, want, self._lam_max())
        w.set_params(mass=mass, dt=newton.dt)
        note = ""
        if newton.dt < want:
            boost = app.dt_boost()
            slower = "; motion slower" if boost < want / newton.dt else ""
            note = f"   dt = {P.fmt(newton.dt, 3)} (kept stable), ×{boost:.3g} ticks a second{slower}"
        app.say(f"mass = {mass:.4g}{note}")

    def _lam_max(self, at: np.ndarray | None = None) -> float:
        """Largest Hessian eigenvalue at the known minima and at `at` [k, 2] (default: a sample
        of the alive balls): the curvature a path from there is expected to meet."""
        w = self.app.world
        if at is None:
            p = w.particles
            rows = np.flatnonzero(p.status == ALIVE)
            at = p.pos[rows[:: max(1, len(rows) // LAM_SAMPLE)]]
        pts = np.concatenate([np.asarray(w.potential.minima, float).reshape(-1, 2),
                              np.asarray(at, float).reshape(-1, 2)])
        if not len(pts):
            return float("nan")
        lam, _ = ins.hessian_eigs(w.potential.hessian(pts))
        lam = lam[np.isfinite(lam)]
        return float(lam.max()) if len(lam) else float("nan")

    # == dropping and removing ====================================================================
    def _lane_ids(self) -> list[int]:
        if self.world_lanes is not None:
            return list(self.world_lanes)
        # each lane as its rule key would make it: the window's step for that rule family
        return [ins.find_or_add_rule(self.app.world, self.app.rule_for(n)) for n in self.lanes]

    def drop(self, pos: np.ndarray, vel: np.ndarray | None = None) -> slice:
        """Drop balls at pos [k, 2] (velocity [k, 2] in the current rule's units): one per race
        lane when racing, each with its partner when the twin toggle is on. Returns the first
        group's rows."""
        w = self.app.world
        ids = self._lane_ids() if self.on["race"] else [0]
        per_group = 2 if self.on["twin"] else 1
        room = getattr(self.app, "scene_ui", None)
        if room is not None and len(ids) * per_group > 1:  # the window's ball limit
            room.check_room(len(pos) * len(ids) * per_group)
        first = None
        for rid in ids:
            rule = w.rules[rid]
            v = None if vel is None else vel * (w.rule.tick_time / rule.tick_time)
            s = w.drop(pos, v, rule_id=rid)
            if first is None:
                first = s
            if self.on["twin"]:
                self._add_partners(np.arange(s.start, s.stop), rule, v)
        self._n_seen = w.n
        return first

    def _add_partners(self, rows: np.ndarray, rule: Rule, vel: np.ndarray | None) -> None:
        """Drop the partner of each ball in rows (all under `rule`), remember the pairs."""
        prule = partner_rule(rule)
        if prule is None or not len(rows):
            return
        w = self.app.world
        if prule.name == "gd":  # gradient flow sampled with gd: unstable once lr·λmax >= 2
            lam = self._lam_max(w.particles.pos[rows[:LAM_SAMPLE]])
            if prule.lr * lam >= ins.lr_limit(prule):
                self.app.say(f"no flow ring: lr·λmax = {P.fmt(prule.lr * lam, 3)} ≥ 2   (lower dt "
                             "or raise friction)", self.app._warn())
                return
        tid = ins.find_or_add_rule(w, prule)
        # a thrown momentum ball (u = -v/lr) has the twin velocity -(lr/dt) u = v/dt; gd keeps
        # no throw, and gradient flow has no velocity
        tvel = vel / rule.dt if vel is not None and rule.name == "momentum" else None
        t = w.drop(w.particles.pos[rows].copy(), tvel, rule_id=tid)
        self.pairs = (np.concatenate([self.pairs[0], rows]),
                      np.concatenate([self.pairs[1], np.arange(t.start, t.stop)]))
        self._rules_seen = tuple(w.rules)

    def remove_near(self, point, radius: float) -> int:
        """world.remove_near, taking each removed ball's twin with it and keeping the pairs."""
        w = self.app.world
        d = w.particles.pos - np.asarray(point, dtype=np.float64)
        mask = np.einsum("ij,ij->i", d, d) <= radius * radius
        b, t = self.pairs
        if len(b):
            gone = mask[b] | mask[t]
            mask[b[gone]] = True
            mask[t[gone]] = True
            new_row = np.cumsum(~mask) - 1
            self.pairs = (new_row[b[~gone]], new_row[t[~gone]])
        removed = w.remove(mask)
        self._n_seen = w.n
        return removed

    def population_changed(self) -> None:
        """After drops, removals, clear, restart: fewer balls than before means rows moved."""
        if self.app.world.n < self._n_seen:
            self.pairs = _empty_pairs()
        self._n_seen = self.app.world.n

    # == time =====================================================================================
    def _sync(self) -> None:
        """Follow the world: a new rule set drops the pairs; changed parameters re-derive each
        partner's rule (and a momentum twin's velocity, so the pair stays exact)."""
        w = self.app.world
        if w is not self._world:
            self.world_changed()
            return
        if w.rules is not self._rules_list:  # set_rule: every ball under one rule, no twins
            self.pairs = _empty_pairs()
            self.world_lanes = None
            self._rules_list = w.rules
        if w.n < self._n_seen:
            self.pairs = _empty_pairs()
        self._n_seen = w.n
        rules = tuple(w.rules)
        if rules == self._rules_seen:
            return
        self._rules_seen = rules
        b, t = self.pairs
        if not len(b):
            return
        p = w.particles
        combos = np.unique(np.column_stack([p.rule[b], p.rule[t]]), axis=0)
        for br, tr in combos.tolist():
            want = partner_rule(w.rules[br])
            if want is None or w.rules[tr] == want:
                continue
            w.rules[tr] = want
            ball = w.rules[br]
            if ball.name == "momentum":
                sel = (p.rule[b] == br) & (p.rule[t] == tr)
                p.vel[t[sel]] = p.buf_a[b[sel]] * (-ball.lr / ball.dt)
        self._rules_seen = tuple(w.rules)

    def frame(self) -> None:
        """Once per frame, paused or not: follow the world, advance the basin job a slice."""
        self._sync()
        self.last_basin_ticks = 0
        if not self.on["basins"]:
            return
        app = self.app
        key = self._basin_key()
        if key != self.job_key and not app.interacting():
            view_only = self.job_key is not None and key[:3] == self.job_key[:3]
            self._start_basins(keep_old=view_only)
        job = self.job
        if job is not None and job.running:
            before = job.ticks
            if self.basin_sync:
                job.advance(job.max_ticks_total)
            else:
                job.advance(self.basin_budget, max_seconds=self.basin_seconds)
            self.last_basin_ticks = job.ticks - before
            if job.done:
                self.old_job = None

    def after_ticks(self, n: int) -> None:
        """The world ran n ticks: one ledger sample (the history restarts when the rule,
        landscape or balls changed)."""
        if not self.on["ledger"] or n <= 0:
            return
        w = self.app.world
        key = (id(w), id(w.rules), tuple(w.rules), id(w.potential), w.n)
        if key != self._ledger_key:
            self.ledger.clear()
            self._ledger_key = key
        # the panel drawn later this frame shows the same sums: nothing changes in between
        self._ledger_now = (self.app.frames, w.tick_count, w.n, self.ledger.push(w))

    # == basins ===================================================================================
    def _basin_key(self) -> tuple:
        w, v = self.app.world, self.app.view
        return (id(w), id(w.potential), w.rule, v)

    def _start_basins(self, keep_old: bool = False) -> None:
        app = self.app
        view = app.view
        gx, gy = max(view.w // self.basin_pixels, 1), max(view.h // self.basin_pixels, 1)
        self.old_job = self.job if keep_old and self.job is not None and self.job.done else None
        w = app.world
        self.job = FineBasinJob(w.potential, w.rule, view.rect(), grid=(gx, gy), seed=w.seed,
                                max_ticks=basin_ticks(w.rule))
        self.job_key = self._basin_key()

    def _stop_basins(self) -> None:
        if self.job is not None:
            self.job.cancel()
        self.job = self.old_job = None
        self.job_key = None

    def basin_progress(self) -> float:
        """What the bar shows: ticks run out of the job's maximum, or the fraction of grid
        points settled, whichever is further (most settle long before the maximum)."""
        job = self.job
        settled = float((job.labels != ins.MOVING).mean())
        return 1.0 if job.done else max(job.progress, settled)

    def basin_summary(self) -> str:
        job = self.job
        n, used, div, moving = job.label_counts()  # cached: the summary is drawn every frame
        parts = [f"{used} basin{'s' if used != 1 else ''}"]
        if div:
            parts.append(f"{100 * div / n:.0f}% diverged")
        if moving:
            parts.append(f"{100 * moving / n:.0f}% still moving")
        return " · ".join(parts)

    # == drawing ==================================================================================
    def basins_shown(self) -> bool:
        """Whether basin colours are over the map (then the map under them is grey)."""
        return self.old_job is not None or self.job is not None

    def draw_map(self, surface: pygame.Surface) -> None:
        """Basin shading over the map (the last finished job while a new view's job runs)."""
        job = self.old_job if self.old_job is not None else self.job
        if job is None:
            return
        P.draw_basin_overlay(surface, job, to_screen=self.app.view.to_screen)
        if job.done and len(job.centers):
            c = self.app.view.to_screen(job.centers)
            lab = job.labels
            for i, (x, y) in enumerate(c.tolist()):
                if not (np.isfinite(x) and np.isfinite(y)) or not (lab == i).any():
                    continue
                col = P.BASIN_PALETTE[i % len(P.BASIN_PALETTE)]
                pygame.draw.circle(surface, RING_OUTLINE, (int(x), int(y)), 9, 4)
                pygame.draw.circle(surface, col, (int(x), int(y)), 8, 2)

    def _sprite(self, color: tuple[int, int, int]) -> pygame.Surface:
        s = self._sprites.get(color)
        if s is None:
            from render.balls import make_sprite

            s = self._sprites[color] = make_sprite(color)
        return s

    def draw_marks(self, surface: pygame.Surface) -> None:
        """Each twin as a ring around its ball; the ball redrawn on top of its twin's dot."""
        b, t = self.pairs
        if not len(b):
            return
        proj, w = self.app.proj, self.app.world
        n = min(proj.n, w.n)
        ok = (b < n) & (t < n)
        b, t = b[ok], t[ok]
        vis = proj.visible[b] & proj.visible[t]
        b, t = b[vis][:PAIRS_DRAWN_MAX], t[vis][:PAIRS_DRAWN_MAX]
        if not len(b):
            return
        from render.balls import rule_palette

        pal = rule_palette(w.rules)
        rid_b, rid_t = w.particles.rule[b].tolist(), w.particles.rule[t].tolist()
        bx, by = proj.sx[b].tolist(), proj.sy[b].tolist()
        tx, ty = proj.sx[t].tolist(), proj.sy[t].tolist()
        for i in range(len(b)):
            spr = self._sprite(pal[rid_b[i]])
            h = spr.get_width() // 2
            surface.blit(spr, (int(math.floor(bx[i])) - h, int(math.floor(by[i])) - h))
            c = (int(math.floor(tx[i])), int(math.floor(ty[i])))
            pygame.draw.circle(surface, RING_OUTLINE, c, RING_RADIUS + 1, 4)
            pygame.draw.circle(surface, pal[rid_t[i]], c, RING_RADIUS, 2)

    def draw_panels(self, surface: pygame.Surface) -> None:
        """Every instrument panel that is on, laid out clear of the HUD's panels (and added to
        them, so the axis labels keep clear too); the basin progress bar or summary on top."""
        self.rects = {}
        self.chips = {}
        hud = self.app.hud
        if self.on["basins"] and self.job is not None:
            self._draw_basin_status(surface)
        wanted = [(name, self._height(name)) for name in INSTRUMENTS
                  if self.on[name] and name != "basins"]
        if not wanted:
            return
        slots = self._layout(surface, wanted, list(hud.panels))
        for name, h in wanted:
            slot = slots.get(name)
            if slot is None:
                continue
            rect = pygame.Rect(slot.x, slot.y, slot.w, h)
            getattr(self, "_draw_" + name)(surface, rect)
            self.rects[name] = rect
            hud.panels.append(rect)

    def _layout(self, surface: pygame.Surface, wanted: list[tuple[str, int]],
                obstacles: list[pygame.Rect]) -> dict[str, pygame.Rect]:
        """Slots for the panels: a column at the left (below the info panel), one at the right
        (below the colourbar), then beside anything already placed, nearest an edge first; in
        each, a panel sits as high as it fits below what is in its way. Last frame's slots stay
        while they hold the same panels and collide with nothing, so panels do not jump about
        as the HUD breathes. A panel with no room anywhere is not drawn."""
        W, H = surface.get_size()
        M = 12
        names = [n for n, _ in wanted]
        old = self._slots
        if (list(old) == names and all(h <= old[n].h for n, h in wanted)
                and all(old[n].collidelist(obstacles) < 0 and surface.get_rect().contains(old[n])
                        for n in names)):
            return old
        pw = min(PANEL_WIDTH, max(W - 2 * M, 80))
        lo, hi = M, W - M - pw
        taken: list[pygame.Rect] = []
        slots: dict[str, pygame.Rect] = {}
        for name, h in wanted:
            blocks = obstacles + taken
            xs = [lo, hi] + sorted({x for r in blocks for x in (r.right + GAP, r.left - GAP - pw)
                                    if lo <= x <= hi}, key=lambda x: min(x - lo, hi - x))
            for x in xs:
                y, placed = M, None
                while y + h <= H - M:
                    r = pygame.Rect(x, y, pw, h)
                    hit = r.collidelist(blocks)
                    if hit < 0:
                        placed = r
                        break
                    y = blocks[hit].bottom + GAP
                if placed is not None:
                    slots[name] = placed
                    taken.append(placed)
                    break
        self._slots = slots
        return slots

    def _row_h(self) -> int:
        return self.font.get_linesize() + P.LINE_GAP

    def _height(self, name: str) -> int:
        """The pixel height each panel needs now (rows as render/panels.py writes them)."""
        lh, pad = self._row_h(), 2 * P.PAD
        w = self.app.world
        if name == "race":
            k = max(1, int(np.count_nonzero(np.bincount(w.particles.rule, minlength=1))))
            chip_rows = math.ceil(len(RULES) / CHIP_COLUMNS)
            return pad + (1 + k) * lh + 4 + lh + chip_rows * (lh + CHIP_GAP)
        if name == "twin":
            b = ins.bridge(w.rule)
            rows = 1 + {"to_newton": 4, "to_momentum": 3}.get(b["direction"], 1)
            rows += 1 if len(self._split_pairs()[0][0]) else 0
            rows += wrapped_rows(self.font, b["text"], PANEL_WIDTH - pad)
            rows += len(self._bridge_extra())
            return pad + rows * lh + 2 + 4
        if name == "ledger":  # one row more when some balls have no energy (as ledger()'s "na")
            newt = np.array([r.newtonian for r in w.rules], dtype=bool)
            p = w.particles
            na = w.n - int(np.count_nonzero(newt[p.rule] & (p.status == ALIVE)))
            return pad + (5 + (1 if na else 0)) * lh + LEDGER_PLOT_H
        if name == "stability":
            return pad + 5 * lh
        if name == "heat":
            if P.heat_temperature(w) is None:
                text = "switch the rule to langevin to watch exp(−V/T) arrive"
                return pad + (1 + wrapped_rows(self.font, text, PANEL_WIDTH - pad)) * lh
            return pad + 2 * lh + HEAT_PLOT_H + lh + 4
        raise KeyError(name)

    # -- the panels ------------------------------------------------------------------------------
    def _twin_rules(self) -> dict[int, int]:
        """{twin rule id: its balls' rule id} for rules that only twins use (not lanes)."""
        b, t = self.pairs
        p = self.app.world.particles
        n = len(p.rule)
        ok = (b < n) & (t < n)
        b, t = b[ok], t[ok]
        if not len(t):
            return {}
        others = np.ones(n, dtype=bool)
        others[t] = False
        lanes = set(np.unique(p.rule[others]).tolist())
        out: dict[int, int] = {}
        # one row per (twin rule, ball rule) combination, not per pair
        for tr, br in np.unique(np.column_stack([p.rule[t], p.rule[b]]), axis=0).tolist():
            if tr not in lanes and tr not in out:
                out[tr] = br
        return out

    def _draw_race(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        from render.balls import RULE_COLORS, rule_palette

        w = self.app.world
        lh = self._row_h()
        chip_rows = math.ceil(len(RULES) / CHIP_COLUMNS)
        chips_h = lh + chip_rows * (lh + CHIP_GAP)
        P.draw_race_legend(surface, rect, w, self.font, rule_palette(w.rules), self._twin_rules())
        x0, y = rect.x + P.PAD, rect.bottom - P.PAD - chips_h
        pygame.draw.line(surface, P.GRID, (x0, y - 3), (rect.right - P.PAD, y - 3))
        hint = ("lanes: this scene's rules (click a rule to choose instead)"
                if self.world_lanes is not None else "lanes: click a rule to add or remove it")
        surface.blit(P.render_text(self.font, hint, P.DIM), (x0, y))
        y += lh
        cw = (rect.w - 2 * P.PAD - (CHIP_COLUMNS - 1) * CHIP_GAP) // CHIP_COLUMNS
        names = set(self.lane_names())
        for i, name in enumerate(RULES):
            r = pygame.Rect(x0 + (i % CHIP_COLUMNS) * (cw + CHIP_GAP),
                            y + (i // CHIP_COLUMNS) * (lh + CHIP_GAP), cw, lh + 1)
            color = RULE_COLORS.get(name, P.TEXT)
            on = name in names
            if on:
                pygame.draw.rect(surface, color, r, border_radius=5)
                text = P.render_text(self.font, name, RING_OUTLINE)
            else:
                pygame.draw.rect(surface, P.GRID, r, width=1, border_radius=5)
                text = P.render_text(self.font, name, P.DIM)
            surface.blit(text, text.get_rect(center=r.center))
            self.chips[name] = r

    def _bridge_extra(self) -> list[list[tuple[str, tuple[int, int, int]]]]:
        """Rows under the bridge panel: the mass control and the overdamped limit (newton), or
        what the ring is (gd / momentum)."""
        r = self.app.world.rule
        rows: list[list[tuple[str, tuple[int, int, int]]]] = []
        if r.newtonian:
            rows.append([("mass  ", P.ACCENT), ("; ÷2   ' ×2", P.TEXT),
                         (f"    m = {P.fmt(r.mass)}   γ·dt/m = {P.fmt(r.friction * r.dt / r.mass, 3)}", P.DIM)])
            if r.friction > 0:
                rows.append([("m → 0", P.ACCENT),
                             (f"  gradient flow: gd lr = dt/γ = {P.fmt(r.dt / r.friction)}", P.TEXT)])
            else:
                rows.append([("m → 0", P.ACCENT), ("  no friction: no gradient-flow limit", P.DIM)])
        if self.on["twin"]:
            p = partner_rule(r)
            ring = ("no partner for this rule" if p is None else
                    "ring: gradient-flow partner (meets the ball as m → 0)" if r.name == "newton"
                    else "ring: Newtonian twin, symplectic (sits on the ball)")
            rows.append([(ring, P.DIM)])
            flow = self._split_pairs()[1]
            if len(flow[0]):
                gap = P._twin_gap(self.app.world, flow)
                rows.append([("flow gap", P.DIM), (f"  max |x − x_flow| = {P.fmt(gap, 3)}", P.TEXT)])
        return rows

    def _split_pairs(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """(exact twins of gd / momentum balls, gradient-flow partners of newton balls)."""
        b, t = self.pairs
        w = self.app.world
        exact = np.array([r.name in ins.TWIN_RULES for r in w.rules], dtype=bool)
        ok = (b < w.n) & (t < w.n)
        b, t = b[ok], t[ok]
        e = exact[w.particles.rule[b]]
        return (b[e], t[e]), (b[~e], t[~e])

    def _draw_twin(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        twins, _flow = self._split_pairs()
        pairs = twins if len(twins[0]) else None
        P.draw_bridge_panel(surface, rect, self.app.world, self.font, pairs=pairs)
        extra = self._bridge_extra()
        lh = self._row_h()
        y = rect.bottom - P.PAD - len(extra) * lh
        with P._Clip(surface, rect):
            for parts in extra:
                x = rect.x + P.PAD
                for text, color in parts:
                    s = P.render_text(self.font, text, color)
                    surface.blit(s, (x, y))
                    x += s.get_width()
                y += lh

    def focus(self, newtonian: bool = False) -> int | None:
        """The ball the ledger and stability panels single out: the App's selection (under the
        cursor, else the last dropped), else the newest ball that is not a twin (newtonian: the
        newest newton or langevin ball, twins too: those have an energy)."""
        k = self.app.selected()
        if k is not None:
            return k
        w = self.app.world
        keep = np.ones(w.n, dtype=bool)
        if newtonian:
            keep = np.array([r.newtonian for r in w.rules], dtype=bool)[w.particles.rule]
        else:
            t = self.pairs[1]
            keep[t[t < w.n]] = False
        rows = np.flatnonzero(keep)
        return int(rows[-1]) if len(rows) else None

    def _draw_ledger(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        """The focus ball's energy; an optimizer ball with a Newtonian twin shows its twin's
        (the energy its path has in the mechanical picture)."""
        w = self.app.world
        k = self.focus(newtonian=True)
        if k is not None and not w.rules[int(w.particles.rule[k])].newtonian:
            b, t = self.pairs
            hit = np.flatnonzero(b == k)
            if len(hit):
                k = int(t[hit[0]])
        now = self._ledger_now
        everyone = now[3] if now is not None and now[:3] == (self.app.frames, w.tick_count, w.n) else None
        P.draw_ledger_panel(surface, rect, w, self.font, self.ledger, rows=k, everyone=everyone)

    def _draw_stability(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        """The ball under the cursor, else the point under it, else the focus ball."""
        app = self.app
        row, point = app.hover, None
        if row is None and app.mouse is not None:
            point = app.view.pixel_to_world(app.mouse[0] + 0.5, app.mouse[1] + 0.5)
        if row is None and point is None:
            row = self.focus()
        P.draw_stability_panel(surface, rect, app.world, self.font, row=row, point=point)

    def _draw_heat(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        P.draw_heat_panel(surface, rect, self.app.world, self.font)

    def _draw_basin_status(self, surface: pygame.Surface) -> None:
        """The progress bar while the job runs, then a one-line summary: top centre, or below
        whatever HUD panel is in the way."""
        W, H = surface.get_size()
        job = self.job
        hud = self.app.hud
        if job.running:
            rect = pygame.Rect((0, 0), BASIN_BAR_SIZE)
            parts = []
        else:
            fonts = self.app.fonts
            parts = [P.render_text(fonts.body, "basins  ", P.ACCENT),
                     P.render_text(self.font, f"{job.rule.name}: {self.basin_summary()}", P.TEXT),
                     P.render_text(self.font, "    B: off", P.DIM)]
            rect = pygame.Rect(0, 0, sum(t.get_width() for t in parts) + 4 * P.PAD,
                               max(t.get_height() for t in parts) + 2 * P.PAD)
        rect.midtop = (W // 2, 12)
        while True:  # below anything in the way
            hit = rect.collidelist(hud.panels)
            if hit < 0 or hud.panels[hit].bottom + GAP + rect.h > H:
                break
            rect.top = hud.panels[hit].bottom + GAP
        if job.running:
            P.draw_progress_bar(surface, rect, self.basin_progress(), self.font,
                                f"basins of {job.rule.name}   Esc: cancel  ")
        else:
            P.draw_panel(surface, rect)
            x = rect.x + 2 * P.PAD
            for t in parts:
                surface.blit(t, (x, rect.centery - t.get_height() // 2))
                x += t.get_width()
        hud.panels.append(rect)
        self.rects["basins"] = rect
