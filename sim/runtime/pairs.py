"""Partners: a ball and the ball the bridge drops beside it (a Newtonian twin of a gd or
momentum ball, the gradient-flow partner of a newton ball), and how a world with several rules
(race lanes, twins) moves to a new landscape so that every pair stays exact.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from sim.rules.dynamics import Rule, newton_twin
from sim.instruments.bridge import TWIN_RULES, flow_partner, overdamped_lr
from sim.landscapes.tuning import rescale_step
from sim.core.world import World


def partner_rule(rule: Rule) -> Rule | None:
    """The rule of the ball the twin toggle drops beside a `rule` ball, or None.

    gd / momentum: the exact Newtonian twin (symplectic, mass dt²/lr, friction (1−β)dt/lr).
    newton with friction: its overdamped limit, gd with the integrator's overdamped step
    (sim.instruments.bridge.flow_partner); the two meet as the mass goes to 0. Others: none.
    """
    if rule.name in TWIN_RULES:
        return newton_twin(rule)
    if rule.name == "newton" and rule.friction > 0.0:
        return flow_partner(rule)
    return None


def same_steps(a: Rule, b: Rule) -> bool:
    """a and b step the same way (names equal, effective parameters equal to 1e-9)."""
    pa, pb = a.params(), b.params()
    if a.name != b.name or pa.keys() != pb.keys():
        return False
    return all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-300) if isinstance(x, float) else x == y
               for x, y in ((pa[k], pb[k]) for k in pa))


def _derived(r: Rule, q: Rule) -> Callable[[Rule], Rule] | None:
    """If rule r is the partner of rule q, a function giving r again from a new q; else None.

    r is the Newtonian twin of q (gd / momentum) at r's own dt: the twin's path per tick is the
    same at any dt, so a lesson may pick its own. Or r is the gradient-flow partner of newton q
    (gd at q's overdamped step, or at dt / friction)."""
    if q.name in TWIN_RULES and r.name == "newton" and same_steps(r, newton_twin(q.with_(dt=r.dt))):
        return lambda q2: r.with_(**newton_twin(q2.with_(dt=r.dt)).params())
    if q.name == "newton" and q.friction > 0.0 and r.name == "gd":
        for lr_of in (overdamped_lr, lambda q2: q2.dt / q2.friction):
            if math.isclose(r.lr, lr_of(q), rel_tol=1e-9):
                return lambda q2, lr_of=lr_of: r.with_(lr=lr_of(q2))
    return None


def retuned_rules(rules: list[Rule], old: Sequence[float], new: Sequence[float]) -> list[Rule]:
    """The rules of a world with several (race lanes, twins) moved to a landscape whose
    suggested steps are `new` (they were `old`): each rule's step scaled by its family's ratio
    (tuning.rescale_step), except a rule that is the partner of another (a lesson's Newtonian
    twin of its momentum lane, the gradient flow of its newton lane): that one is derived again
    from its retuned partner, so the pair stays exact."""
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


def _empty() -> np.ndarray:
    return np.zeros(0, dtype=np.intp)


class Pairs:
    """Rows of balls and of their partners, `balls[i]` paired with `twins[i]`; kept right as
    balls are removed (a partner goes with its ball) and as the ball's rule changes (the
    partner's rule is derived again)."""

    def __init__(self) -> None:
        self.balls = _empty()
        self.twins = _empty()

    def __len__(self) -> int:
        return len(self.balls)

    def __iter__(self):
        """`balls, twins = pairs`."""
        return iter((self.balls, self.twins))

    def clear(self) -> None:
        self.balls, self.twins = _empty(), _empty()

    def add(self, balls: np.ndarray, twins: np.ndarray) -> None:
        self.balls = np.concatenate([self.balls, np.asarray(balls, dtype=np.intp)])
        self.twins = np.concatenate([self.twins, np.asarray(twins, dtype=np.intp)])

    def valid(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The pairs whose rows both exist in a world of n balls."""
        ok = (self.balls < n) & (self.twins < n)
        return self.balls[ok], self.twins[ok]

    def widen(self, mask: np.ndarray) -> np.ndarray:
        """Removing the rows in mask [n] (True: goes): each removed ball takes its partner
        along. Remaps the pairs that stay to the rows they will have; returns the mask to
        remove."""
        b, t = self.balls, self.twins
        if len(b):
            gone = mask[b] | mask[t]
            mask[b[gone]] = True
            mask[t[gone]] = True
            new_row = np.cumsum(~mask) - 1
            self.balls, self.twins = new_row[b[~gone]], new_row[t[~gone]]
        return mask

    def split(self, world: World) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """(exact twins of gd / momentum balls, gradient-flow partners of newton balls)."""
        b, t = self.valid(world.n)
        exact = np.array([r.name in TWIN_RULES for r in world.rules], dtype=bool)
        e = exact[world.particles.rule[b]]
        return (b[e], t[e]), (b[~e], t[~e])

    def twin_rules(self, world: World) -> dict[int, int]:
        """{twin rule id: its balls' rule id} for rules that only partners use (not lanes)."""
        b, t = self.valid(world.n)
        if not len(t):
            return {}
        p = world.particles
        others = np.ones(world.n, dtype=bool)
        others[t] = False
        lanes = set(np.unique(p.rule[others]).tolist())
        out: dict[int, int] = {}
        # one row per (twin rule, ball rule) combination, not per pair
        for tr, br in np.unique(np.column_stack([p.rule[t], p.rule[b]]), axis=0).tolist():
            if tr not in lanes and tr not in out:
                out[tr] = br
        return out

    def rederive(self, world: World) -> None:
        """The balls' rules changed: give each partner rule the parameters that keep the pair
        exact (and a momentum twin the velocity of its ball's buffer)."""
        b, t = self.balls, self.twins
        if not len(b):
            return
        p = world.particles
        combos = np.unique(np.column_stack([p.rule[b], p.rule[t]]), axis=0)
        for br, tr in combos.tolist():
            want = partner_rule(world.rules[br])
            if want is None or world.rules[tr] == want:
                continue
            world.replace_rule(tr, want)
            ball = world.rules[br]
            if ball.name == "momentum":
                sel = (p.rule[b] == br) & (p.rule[t] == tr)
                p.vel[t[sel]] = p.buf_a[b[sel]] * (-ball.lr / ball.dt)
