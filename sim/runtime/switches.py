"""The runtime's switches of what the world runs: the rule (a key, Tab, the panel) and the
landscape (a landscape key, the panel, a data set), with the step sizes that go with them
(the runtime's `params` remembers them per rule family) and the data landscapes as last left.

Part of the runtime (sim/runtime/runtime.py): `Runtime.switch`. It changes the world only
through World's own commands and tells the runtime's subscribers what changed.
"""
from __future__ import annotations

from sim.core.events import Change
from sim.data.base import is_data
from sim.landscapes.tuning import suggest, suggestions
from sim.rules import registry
from sim.runtime.pairs import retuned_rules


class Switches:
    """Rule and landscape switches of one runtime (`rt`: its world, params, balls, channel)."""

    def __init__(self, rt) -> None:
        self.rt = rt
        self.left_data: dict = {}  # data landscape name -> as last left (landscape_named)

    def set_rule(self, name: str) -> None:
        """Every ball to the rule `name`, with that rule family's remembered step size."""
        rt = self.rt
        new = rt.params.rule_for(name)
        rt.world.set_rule(new)
        rt.balls.sync()
        rt.kept()
        rt.say(new.label())

    def cycle_rule(self, direction: int) -> None:
        """The next (or previous) rule in Tab order."""
        name = self.rt.world.rule.name
        names = registry.names()  # Tab order
        i = names.index(name) if name in names else 0
        self.set_rule(names[(i + direction) % len(names)])

    def set_potential(self, potential) -> None:
        """Switch landscape: take its suggested step sizes, keep the balls (race lanes and
        twins keep their rules, each step rescaled to the new landscape)."""
        rt = self.rt
        w = rt.world
        left = w.potential
        if getattr(left, "data", None) is not None and left is not potential:
            self.left_data[left.name] = left  # its data (a file, edits) wait for a pick by name
        old = list(suggestions(left))
        w.set_potential(potential)
        new = list(suggestions(potential))
        single = len(w.rules) == 1
        if single:
            w.set_rule(suggest(potential, w.rule))
        else:
            w.retune(retuned_rules(w.rules, old, new))
        rt.params.follow_landscape(old, new, single)
        rt.balls.sync()
        rt.notify(Change.LANDSCAPE)
        data = potential.data if is_data(potential) else None
        kept = f"    data as you left it: {data.source or 'edited'}, n={data.n}" \
            if data is not None and self.left_data.get(potential.name) is potential else ""
        rt.say(f"{potential.name}    {w.rule.label()}{kept}")

    def landscape_named(self, potential):
        """What a pick of `potential` by name (a landscape key, the panel) switches to: a data
        landscape as it was last left (its loaded or edited data), or the current one when it
        is already that landscape; else `potential`."""
        here = self.rt.world.potential
        if potential.name == here.name and getattr(here, "data", None) is not None:
            return here
        return self.left_data.get(potential.name, potential)

    def replace_landscape(self, potential) -> None:
        """The same landscape on edited data: balls, rules, steps and view stay."""
        rt = self.rt
        rt.world.set_potential(potential)
        rt.balls.sync()
        rt.notify(Change.DATA)
