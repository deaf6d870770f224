"""lbfgs against a scalar transcription of torch.optim.LBFGS.step (torch/optim/lbfgs.py, with
_strong_wolfe and _cubic_interpolate; in tests/support/torch_refs.py), one ball at a time with
torch's Python lists; then many balls at once (different drop times) against the same
reference ball by ball."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.data.catalog import get_potential
from sim.rules.line_search import cubic_interpolate as cubic_interpolate_rows
from sim.rules.torch_optim import lbfgs
from tests.rule_harness import RuleStandIn, dropped_in_two_groups, make_state
from tests.support.torch_refs import cubic_interpolate, reference_path


SETTINGS = [
    (1.0, {}),  # torch's defaults
    (0.5, {"history_size": 3, "max_iter": 7}),  # a short ring that wraps every tick
    (1.0, {"line_search_fn": "strong_wolfe", "max_iter": 10, "history_size": 4}),
]
STARTS = {"rosenbrock": [(-1.5, 2.0), (0.3, -0.8)], "himmelblau": [(0.2, 0.1), (-4.0, 4.5)]}


@pytest.mark.parametrize("lr,options", SETTINGS)
@pytest.mark.parametrize("potential", ["rosenbrock", "himmelblau"])
def test_lbfgs_equals_torch_step_for_step(potential, lr, options):
    """2,000 ticks (converged balls keep returning at once, as torch does) per start."""
    V = get_potential(potential)
    ticks = 2000
    for start in STARTS[potential]:
        ref, ref_evals, opt = reference_path(V, start, ticks, lr, **options)
        r = RuleStandIn(lbfgs.SPEC, lr, **options)
        s = make_state(lbfgs.SPEC, r, [start])
        for k in range(ticks):
            lbfgs.step(r, s, V, None)
            assert s.bufs["evals"][0] == ref_evals[k], (start, k)
            np.testing.assert_allclose(s.pos[0], ref[k], rtol=1e-10, atol=1e-12,
                                       err_msg=f"{potential} {options} {start} tick {k}")
        assert s.bufs["func_evals"][0] == opt.state["func_evals"]
        assert s.bufs["n_iter"][0] == opt.state["n_iter"]


def test_a_tick_costs_many_gradients_and_reaches_rosenbrocks_minimum():
    """The lesson's claim, with the reference: strong Wolfe from (-1.5, 2) is at (1, 1) to 1e-4
    within 3 ticks, the first ticks each taking more than 20 gradient evaluations."""
    V = get_potential("rosenbrock")
    path, evals, _ = reference_path(V, (-1.5, 2.0), 3, 1.0, line_search_fn="strong_wolfe")
    assert np.abs(path[-1] - 1.0).max() < 1e-4
    assert evals[0] > 20
    r = RuleStandIn(lbfgs.SPEC, 1.0, line_search_fn="strong_wolfe")
    s = make_state(lbfgs.SPEC, r, [(-1.5, 2.0)])
    for k in range(3):
        lbfgs.step(r, s, V, None)
        assert s.bufs["evals"][0] == evals[k]
    np.testing.assert_allclose(s.pos[0], path[-1], rtol=1e-12)


@pytest.mark.parametrize("options", [{}, {"line_search_fn": "strong_wolfe", "history_size": 5}])
def test_many_balls_dropped_at_different_times_equal_the_reference(options):
    V = get_potential("rosenbrock")
    rng = np.random.default_rng(4)
    early = rng.uniform([-2, -1], [2, 3], (12, 2))
    late = rng.uniform([-2, -1], [2, 3], (12, 2))
    r = RuleStandIn(lbfgs.SPEC, 1.0, **options)
    s = dropped_in_two_groups(lbfgs.step, lbfgs.SPEC, r, V, early, late, 2, 6)
    for i, start in enumerate(early):
        ref, ev, _ = reference_path(V, start, 8, 1.0, **options)
        np.testing.assert_allclose(s.pos[i], ref[-1], rtol=1e-10, atol=1e-12)
        assert s.bufs["evals"][i] == ev[-1]
    for i, start in enumerate(late):
        ref, ev, _ = reference_path(V, start, 6, 1.0, **options)
        np.testing.assert_allclose(s.pos[12 + i], ref[-1], rtol=1e-10, atol=1e-12)
        assert s.bufs["evals"][12 + i] == ev[-1]


def test_cubic_interpolate_matches_the_scalar_form():
    rng = np.random.default_rng(1)
    rows = rng.normal(size=(400, 6))
    got = cubic_interpolate_rows(*rows.T)
    want = [cubic_interpolate(*row) for row in rows]
    np.testing.assert_allclose(got, want, rtol=1e-14)
    lo, hi = rows[:, 0] - 1, rows[:, 0] + 1
    got = cubic_interpolate_rows(*rows.T, lo, hi)
    want = [cubic_interpolate(*row, bounds=(a, b)) for row, a, b in zip(rows, lo, hi)]
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_memory_budget_refuses_a_drop_with_one_line(tmp_path):
    """4,096 bytes of state a ball at history 100 (old_dirs, old_stps 1,600 each, ro 800, d
    and prev_flat_grad 16 each, eight scalars 64): 2 GB hold 524,288 balls; 10^6 are refused
    at the drop, on the command line with one line and status 2."""
    from sim.rules.dynamics import Rule, check_buffer_memory
    from sim.core.world import World

    r = Rule("lbfgs")
    check_buffer_memory(r, 524_288)
    with pytest.raises(ValueError) as e:
        check_buffer_memory(r, 524_289)
    with pytest.raises(ValueError) as e:
        World(get_potential("bowl"), r).drop(np.zeros((10**6, 2)))
    msg = str(e.value)
    assert "\n" not in msg and "--history-size (now 100)" in msg and "3.8 GB" in msg, msg
    w = World(get_potential("bowl"), Rule("lbfgs", history_size=10))
    w.drop(np.zeros((10**6, 2)))  # 0.5 GB
    assert w.particles.n == 10**6
    out = subprocess.run([sys.executable, "main.py", "--headless", "--potential", "bowl",
                          "--dynamics", "lbfgs", "--particles", "1000000", "--steps", "1",
                          "--dump", str(tmp_path / "x.json")], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[4])
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "--history-size" in out.stderr
