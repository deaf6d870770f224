"""Suggested step sizes for a landscape with no curvature fall back to the rules' defaults."""
import pytest

from sim.landscapes.tuning import suggest, suggestions
from sim.rules.dynamics import Rule
from sim.landscapes.formula.potential import expression_potential


@pytest.mark.parametrize("formula", ["0", "5", "x", "0.3*x - 2*y + 1"])
def test_a_flat_formula_gets_the_default_steps(formula):
    pot = expression_potential(formula)
    d = Rule()
    gd, mom, dt, ada, _nm = suggestions(pot)
    assert (gd, mom, dt) == (d.lr, d.lr, d.dt)
    assert suggest(pot, Rule("momentum")).lr == d.lr and suggest(pot, Rule("newton")).dt == d.dt
    assert ada == 0.02  # 0.4% of the 6-wide view, as for any landscape


def test_a_curved_formula_still_gets_its_own_steps():
    gd, mom, dt, *_ = suggestions(expression_potential("50*x**2 + 50*y**2"))  # lambda = 100
    assert (gd, mom, dt) == (0.0005, 0.0002, 0.01)
