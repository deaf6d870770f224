"""lbfgs against a scalar transcription of torch.optim.LBFGS.step (torch/optim/lbfgs.py, with
_strong_wolfe and _cubic_interpolate), one ball at a time with torch's Python lists; then many
balls at once (different drop times) against the same reference ball by ball."""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.data.catalog import get_potential
from sim.rules.line_search import cubic_interpolate as cubic_interpolate_rows
from sim.rules.torch_optim import lbfgs
from tests.rule_harness import RuleStandIn, concat_states, make_state


# --- the reference: torch's code with floats and lists ----------------------------------------

def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - _div(3 * (f1 - f2), x1 - x2)
    d2_square = d1 * d1 - g1 * g2  # torch's d1**2 is d1 * d1 (Python's ** would raise on overflow)
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * _div(g2 + d2 - d1, g2 - g1 + 2 * d2)
        else:
            min_pos = x1 - (x1 - x2) * _div(g1 + d2 - d1, g1 - g2 + 2 * d2)
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _div(a, b):
    """a / b with IEEE semantics (torch tensors divide by zero to inf / nan)."""
    return float(np.float64(a) / np.float64(b))


def dot(a, b):
    return a[0] * b[0] + a[1] * b[1]


def strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    d_norm = max(abs(d[0]), abs(d[1]))
    g = list(g)
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket = [t_prev, t]
            bracket_f = [f_prev, f_new]
            bracket_g = [g_prev, list(g_new)]
            bracket_gtd = [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket = [t]
            bracket_f = [f_new]
            bracket_g = [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket = [t_prev, t]
            bracket_f = [f_prev, f_new]
            bracket_g = [g_prev, list(g_new)]
            bracket_gtd = [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev = tmp
        f_prev = f_new
        g_prev = list(g_new)
        gtd_prev = gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = dot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = [0, t]
        bracket_f = [f, f_new]
        bracket_g = [g, g_new]
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                              bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = dot(g_new, d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos] = t
            bracket_f[high_pos] = f_new
            bracket_g[high_pos] = list(g_new)
            bracket_gtd[high_pos] = gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos] = bracket[low_pos]
                bracket_f[high_pos] = bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos] = t
            bracket_f[low_pos] = f_new
            bracket_g[low_pos] = list(g_new)
            bracket_gtd[low_pos] = gtd_new
    t = bracket[low_pos]
    f_new = bracket_f[low_pos]
    g_new = bracket_g[low_pos]
    return f_new, g_new, t, ls_func_evals


class TorchLBFGS:
    """torch.optim.LBFGS for one parameter [x, y]; closure(p) -> (loss, grad)."""

    def __init__(self, p, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        self.p = [float(p[0]), float(p[1])]
        self.lr, self.max_iter = lr, max_iter
        self.max_eval = max_iter * 5 // 4 if max_eval is None else max_eval
        self.tolerance_grad, self.tolerance_change = tolerance_grad, tolerance_change
        self.history_size, self.line_search_fn = history_size, line_search_fn
        self.state = {"func_evals": 0, "n_iter": 0}
        self.last_evals = 0

    def step(self, closure):
        lr, max_iter, max_eval = self.lr, self.max_iter, self.max_eval
        tolerance_grad, tolerance_change = self.tolerance_grad, self.tolerance_change
        history_size = self.history_size
        state = self.state
        orig_loss, flat_grad = closure(self.p)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        self.last_evals = current_evals
        opt_cond = max(abs(flat_grad[0]), abs(flat_grad[1])) <= tolerance_grad
        if opt_cond:
            return orig_loss
        d = state.get("d")
        t = state.get("t")
        old_dirs = state.get("old_dirs")
        old_stps = state.get("old_stps")
        ro = state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad = state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = [-flat_grad[0], -flat_grad[1]]
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = [flat_grad[0] - prev_flat_grad[0], flat_grad[1] - prev_flat_grad[1]]
                s = [d[0] * t, d[1] * t]
                ys = dot(y, s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / dot(y, y)
                num_old = len(old_dirs)
                if "al" not in state:
                    state["al"] = [None] * history_size
                al = state["al"]
                q = [-flat_grad[0], -flat_grad[1]]
                for i in range(num_old - 1, -1, -1):
                    al[i] = dot(old_stps[i], q) * ro[i]
                    q = [q[0] + (-al[i]) * old_dirs[i][0], q[1] + (-al[i]) * old_dirs[i][1]]
                r = [q[0] * H_diag, q[1] * H_diag]
                for i in range(num_old):
                    be_i = dot(old_dirs[i], r) * ro[i]
                    r = [r[0] + (al[i] - be_i) * old_stps[i][0], r[1] + (al[i] - be_i) * old_stps[i][1]]
                d = r
            prev_flat_grad = list(flat_grad)
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, _div(1.0, abs(flat_grad[0]) + abs(flat_grad[1]))) * lr
            else:
                t = lr
            gtd = dot(flat_grad, d)
            if gtd > -tolerance_change:
                break
            ls_func_evals = 0
            if self.line_search_fn is not None:
                x_init = list(self.p)

                def obj_func(x, t, d):
                    return closure([x[0] + t * d[0], x[1] + t * d[1]])

                loss, flat_grad, t, ls_func_evals = strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, tolerance_change=tolerance_change)
                self.p = [self.p[0] + t * d[0], self.p[1] + t * d[1]]
                opt_cond = max(abs(flat_grad[0]), abs(flat_grad[1])) <= tolerance_grad
            else:
                self.p = [self.p[0] + t * d[0], self.p[1] + t * d[1]]
                if n_iter != max_iter:
                    loss, flat_grad = closure(self.p)
                    loss = float(loss)
                    opt_cond = max(abs(flat_grad[0]), abs(flat_grad[1])) <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            if n_iter == max_iter:
                break
            if current_evals >= max_eval:
                break
            if opt_cond:
                break
            if max(abs(d[0] * t), abs(d[1] * t)) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break
        self.last_evals = current_evals
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss


def closure_for(V):
    def closure(p):
        a = np.array([p], dtype=np.float64)
        return float(V.value(a)[0]), [float(v) for v in V.grad(a)[0]]
    return closure


def reference_path(V, start, ticks, lr, **options):
    opt = TorchLBFGS(start, lr=lr, **options)
    closure = closure_for(V)
    path, evals = [], []
    for _ in range(ticks):
        opt.step(closure)
        path.append(tuple(opt.p))
        evals.append(opt.last_evals)
    return np.array(path), np.array(evals), opt


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
    s = make_state(lbfgs.SPEC, r, early)
    for _ in range(2):
        lbfgs.step(r, s, V, None)
    s = concat_states(s, make_state(lbfgs.SPEC, r, late))
    for _ in range(6):
        lbfgs.step(r, s, V, None)
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
