"""numpy transcriptions of torch.optim's code (torch 2.13) that several rule tests compare
against: ATen's lerp, Adam/AdamW's single-tensor step (torch/optim/adam.py), and LBFGS.step
with _strong_wolfe and _cubic_interpolate (torch/optim/lbfgs.py) on floats and lists, for one
parameter [x, y]; torch is not needed."""
from __future__ import annotations

import math

import numpy as np


def lerp(a, end, w: float):
    """ATen's lerp: a + w (end - a) for |w| < 0.5, else end - (end - a)(1 - w)."""
    return a + w * (end - a) if abs(w) < 0.5 else end - (end - a) * (1 - w)


# --- Adam / AdamW ------------------------------------------------------------------------------

class AdamRef:
    """torch/optim/adam.py (AdamW = Adam with decoupled_weight_decay=True)."""

    def __init__(self, lr=1e-3, beta=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, decoupled=True):
        self.o = dict(lr=lr, b1=beta, b2=beta2, eps=eps, wd=weight_decay, amsgrad=amsgrad, dec=decoupled)
        self.step_t, self.m, self.v, self.vmax = 0.0, np.zeros(2), np.zeros(2), np.zeros(2)

    def step(self, param, grad):
        o = self.o
        lr, b1, b2 = o["lr"], o["b1"], o["b2"]
        self.step_t += 1
        if o["wd"] != 0:
            if o["dec"]:
                param = param * (1 - lr * o["wd"])
            else:
                grad = grad + o["wd"] * param
        self.m = lerp(self.m, grad, 1 - b1)
        self.v = self.v * b2 + (1 - b2) * grad * grad
        step = self.step_t
        bias_correction1 = 1 - b1**step
        bias_correction2 = 1 - b2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        if o["amsgrad"]:
            self.vmax = np.maximum(self.vmax, self.v)
            denom = np.sqrt(self.vmax) / bias_correction2_sqrt + o["eps"]
        else:
            denom = np.sqrt(self.v) / bias_correction2_sqrt + o["eps"]
        return param + (-step_size) * self.m / denom


def rel_err(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per step: max |a - b| / max(|b|, 1e-3), a [steps, 2] path against b."""
    return np.abs(a - b).max(axis=1) / np.maximum(np.abs(b).max(axis=1), 1e-3)


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
