"""Race lanes: a rule per lane, and each lane's newest ball."""
from __future__ import annotations

import numpy as np

from sim.rules.dynamics import Rule
from sim.core.particles import ALIVE
from sim.core.world import World


# ================================================================================================
# Race
# ================================================================================================

def find_or_add_rule(world: World, rule: Rule) -> int:
    """Id of `rule` in world.rules, adding it when absent. A rule that steps the same way (the
    same name and effective parameters; the ones it does not read may differ) is reused."""
    want = (rule.name, rule.params())
    for i, r in enumerate(world.rules):
        if r == rule or (r.name, r.params()) == want:
            return i
    return world.add_rule(rule)


def last_ball_per_rule(world: World) -> dict[int, int]:
    """rule id -> row of the most recently dropped alive ball under that rule."""
    p = world.particles
    rows = np.flatnonzero(p.status == ALIVE)[::-1]  # newest first
    rids, first = np.unique(p.rule[rows], return_index=True)
    return {int(r): int(rows[i]) for r, i in zip(rids, first)}
