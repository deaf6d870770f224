"""lbfgs: torch.optim.LBFGS, one tick = one `.step(closure)` on a single [x, y] parameter
(float64), vectorized over balls.

torch's algorithm (torch/optim/lbfgs.py, transcribed operation for operation): evaluate f, g;
stop at once if max|g| <= tolerance_grad; else up to max_iter inner iterations, each: the
L-BFGS direction from the history (two-loop recursion, oldest pair first in the second loop),
a step t (min(1, 1/sum|g|) lr on the very first iteration of the optimizer, lr after) either
fixed (then f, g re-evaluated unless it was the last iteration) or chosen by torch's
`_strong_wolfe` line search (sim/rules/line_search.py), then the stopping tests (max_iter,
max_eval, tolerance_grad, |d t| and |f - f_prev| below tolerance_change).

Each ball owns torch's state: the history as a ring (old_dirs, old_stps [n, history_size, 2],
ro [n, history_size], hist_start = index of the oldest pair, hist_len = how many), and d, t,
prev_flat_grad, prev_loss, H_diag, n_iter (torch's state["n_iter"], over all ticks),
func_evals (torch's state["func_evals"]) and evals (closure calls in the last tick: what the
step panel shows). torch's list pops its oldest pair when full; the ring overwrites it, so the
recursion visits the same pairs in the same order. torch's state["al"] is scratch here.

The inner loop runs while any ball still iterates, on the rows that do (index sets, no
per-ball Python loop); the line search likewise. A tick costs 1 + (evaluations) gradients per
ball, up to max_eval: L-BFGS is not a single-gradient rule.

Memory: the history is 40 x history_size bytes per ball (4 kB at torch's default 100; 10^6
balls would hold 1.6 GB in old_dirs alone and 4 GB in all). The program keeps torch's default
and refuses a drop that would take the declared buffers past 2 GB with one clear line
(sim.rules.dynamics.check_buffer_memory, in World.drop: about 520,000 balls at history 100); a
smaller --history-size lets more balls in. (Capacity doubling may allocate up to twice that.)

Not schedulable with the generic lr wrapper: the displacement is not linear in lr (the step
t = lr enters the history, the line search and the stopping tests).
"""
from __future__ import annotations

import numpy as np

from sim.rules.line_search import maxabs, rowdot, strong_wolfe
from sim.rules.base import GRADIENT, STEP, BufferSpec, Family, ParamSpec, Reading, RuleSpec, Term

YS_MIN = 1e-10  # torch: a pair (y, s) enters the history only if y.s > 1e-10


def history_bytes(history_size: int) -> int:
    """Bytes of history per ball: old_dirs + old_stps (2 x 16 H) + ro (8 H)."""
    return 40 * int(history_size)


def _max_eval(r) -> int:
    """torch's max_eval: max_iter * 5 // 4 unless given."""
    me = r.opt("max_eval")
    return int(r.opt("max_iter")) * 5 // 4 if me is None else int(me)


class _Options:
    """One rule's LBFGS options as the step reads them (torch's defaults filled in)."""

    def __init__(self, r) -> None:
        self.lr = float(r.lr)
        self.max_iter = int(r.opt("max_iter"))
        self.max_eval = _max_eval(r)
        self.tol_g = float(r.opt("tolerance_grad"))
        self.tol_c = float(r.opt("tolerance_change"))
        self.H = int(r.opt("history_size"))
        self.wolfe = r.opt("line_search_fn") not in (None, "none")


class _Work:
    """Compact working copies of the iterating balls' state (rows of the state): position,
    gradient, loss, torch's d, t, prev_flat_grad, prev_loss, H_diag, n_iter, and this tick's
    evaluations, inner iterations and optimality."""

    def __init__(self, s, rows, g0, loss) -> None:
        b = s.bufs
        self.rows = rows
        self.x = s.pos[rows].copy()
        self.gg, self.ll = g0[rows].copy(), loss[rows].copy()
        self.d, self.t = b["d"][rows].copy(), b["t"][rows].copy()
        self.pg, self.pl = b["prev_flat_grad"][rows].copy(), b["prev_loss"][rows].copy()
        self.hd, self.it = b["H_diag"][rows].copy(), b["n_iter"][rows].copy()
        self.ev = np.ones(len(rows), dtype=np.int64)
        self.inner = np.zeros(len(rows), dtype=np.int64)
        self.opt = np.zeros(len(rows), dtype=bool)

    def store(self, s) -> None:
        """Write the working copies back into the state's rows."""
        b, rows = s.bufs, self.rows
        s.pos[rows] = self.x
        b["d"][rows], b["t"][rows] = self.d, self.t
        b["prev_flat_grad"][rows], b["prev_loss"][rows] = self.pg, self.pl
        b["H_diag"][rows], b["n_iter"][rows] = self.hd, self.it
        b["evals"][rows] = self.ev
        b["func_evals"][rows] += self.ev - 1


def step(r, s, V, rng) -> bool:
    """One LBFGS.step(closure) per ball (closure = V at the ball, its gradient by V.grad)."""
    s.steps += 1
    if len(s.pos) == 0:
        return False
    o, b = _Options(r), s.bufs
    with np.errstate(all="ignore"):
        loss = V.value(s.pos)  # orig_loss = closure()
        g0 = V.grad(s.pos)
        b["func_evals"] += 1
        b["evals"][:] = 1
        rows = np.flatnonzero(~(maxabs(g0) <= o.tol_g))  # the rest: opt_cond, return
        if not len(rows):
            return False
        w = _Work(s, rows, g0, loss)
        L = np.arange(len(rows))
        while len(L):
            _begin_iteration(w, L, b, o)
            gtd = rowdot(w.gg[L], w.d[L])
            go = ~(gtd > -o.tol_c)  # directional derivative below tolerance: break
            C = L[go]
            if not len(C):
                break
            _move(w, C, gtd[go], V, o)
            L = C[~_stops(w, C, o)]
        w.store(s)
    return False


def _begin_iteration(w: _Work, L, b, o: _Options) -> None:
    """An inner iteration's start for the compact rows L: the direction d (steepest descent on
    a ball's very first iteration, the history's after), the previous gradient and loss kept,
    the trial step t."""
    rows = w.rows
    w.inner[L] += 1
    w.it[L] += 1
    first = w.it[L] == 1
    F = L[first]
    w.d[F] = -w.gg[F]
    w.hd[F] = 1.0
    b["hist_start"][rows[F]] = 0
    b["hist_len"][rows[F]] = 0
    N = L[~first]
    if len(N):
        _direction(w, N, b, o.H)
    w.pg[L] = w.gg[L]
    w.pl[L] = w.ll[L]
    inv = 1.0 / (np.abs(w.gg[L, 0]) + np.abs(w.gg[L, 1]))
    w.t[L] = np.where(first, np.where(inv < 1.0, inv, 1.0) * o.lr, o.lr)


def _move(w: _Work, C, gtd, V, o: _Options) -> None:
    """The move of the compact rows C along d: by the line search's step, or by the fixed step
    t (then f, g re-evaluated unless in the last iteration)."""
    if o.wolfe:
        fn, gn, tn, k = strong_wolfe(V, w.x[C], w.t[C], w.d[C], w.ll[C], w.gg[C], gtd, o.tol_c)
        w.ll[C], w.gg[C], w.t[C] = fn, gn, tn
        w.x[C] += tn[:, None] * w.d[C]
        w.opt[C] = maxabs(gn) <= o.tol_g
        w.ev[C] += k
        return
    w.x[C] += w.t[C][:, None] * w.d[C]
    E = C[w.inner[C] != o.max_iter]  # re-evaluate unless in the last iteration
    if len(E):
        w.ll[E] = V.value(w.x[E])
        w.gg[E] = V.grad(w.x[E])
        w.opt[E] = maxabs(w.gg[E]) <= o.tol_g
        w.ev[E] += 1


def _stops(w: _Work, C, o: _Options) -> np.ndarray:
    """torch's stopping tests after a move, per row of C: max_iter, max_eval, tolerance_grad,
    |d t| and |f - f_prev| below tolerance_change."""
    return ((w.inner[C] == o.max_iter) | (w.ev[C] >= o.max_eval) | w.opt[C]
            | (maxabs(w.d[C] * w.t[C][:, None]) <= o.tol_c)
            | (np.abs(w.ll[C] - w.pl[C]) < o.tol_c))


def _direction(w: _Work, N, b, H: int) -> None:
    """torch's memory update and two-loop recursion for the compact rows N (n_iter > 1):
    writes w.d[N] (and w.hd[N], the history of rows[N])."""
    R = w.rows[N]
    y = w.gg[N] - w.pg[N]
    s = w.d[N] * w.t[N][:, None]
    _remember(w, N, R, y, s, b, H)
    w.d[N] = _two_loop(-w.gg[N], w.hd[N], R, b, H)


def _remember(w: _Work, N, R, y, s, b, H: int) -> None:
    """The pair (y, s) enters the history of the rows where y.s > YS_MIN (the ring overwrites
    its oldest pair when full, as torch's list pops it), and H_diag = y.s / y.y there."""
    start, length = b["hist_start"], b["hist_len"]
    ys = rowdot(y, s)
    upd = ys > YS_MIN
    if upd.any():
        U, RU = N[upd], R[upd]
        full = length[RU] == H
        slot = np.where(full, start[RU], (start[RU] + length[RU]) % H)
        b["old_dirs"][RU, slot] = y[upd]
        b["old_stps"][RU, slot] = s[upd]
        b["ro"][RU, slot] = 1.0 / ys[upd]
        start[RU] = np.where(full, (start[RU] + 1) % H, start[RU])
        length[RU] = np.where(full, H, length[RU] + 1)
        w.hd[U] = ys[upd] / rowdot(y[upd], y[upd])  # H_diag = ys / y.y


def _two_loop(q, hd, R, b, H: int) -> np.ndarray:
    """torch's two-loop recursion from q = -g for the history of the balls R: the direction
    d = H^-1 estimate times q (H_diag hd scales the middle)."""
    cnt, st = b["hist_len"][R], b["hist_start"][R]
    top = int(cnt.max()) if len(cnt) else 0
    if top:
        # the history in torch's list order (oldest first), gathered once; entries beyond a
        # ball's count are zero, so they add exactly nothing (a = 0, be = 0)
        i_ = np.arange(top)
        ph = (st[:, None] + i_) % H
        live = i_ < cnt[:, None]
        S = np.where(live[..., None], b["old_stps"][R[:, None], ph], 0.0)
        Y = np.where(live[..., None], b["old_dirs"][R[:, None], ph], 0.0)
        RO = np.where(live, b["ro"][R[:, None], ph], 0.0)
        al = np.empty((len(R), top))
        for i in range(top - 1, -1, -1):  # newest pair first
            a = (S[:, i, 0] * q[:, 0] + S[:, i, 1] * q[:, 1]) * RO[:, i]
            al[:, i] = a
            q += (-a)[:, None] * Y[:, i]  # q.add_(old_dirs[i], alpha=-al[i])
    r_ = q * hd[:, None]  # d = r = q * H_diag
    for i in range(top):  # oldest pair first
        be = (Y[:, i, 0] * r_[:, 0] + Y[:, i, 1] * r_[:, 1]) * RO[:, i]
        r_ += (al[:, i] - be)[:, None] * S[:, i]  # r.add_(old_stps[i], alpha=al[i] - be_i)
    return r_


def _readout(r, before, after, V) -> list:
    """The step panel's terms: the gradient at the start, and how many gradients the tick took
    (after.bufs["evals"]) in how many inner moves."""
    g = V.grad(np.asarray(before.pos, dtype=np.float64).reshape(1, 2))[0]
    out = [Term("g", "g", "∇V(x)", g, GRADIENT)]
    ev = after.bufs.get("evals")
    if ev is not None:
        moves = int(after.bufs["n_iter"]) - int(before.bufs.get("n_iter", 0))
        out.append(Term("evals", "gradients", "closure calls this tick", float(ev)))
        out.append(Term("moves", "moves", f"inner iterations, at most {int(r.opt('max_iter'))}",
                        float(moves)))
    out.append(Term("dx", "Δx", "x' − x", np.asarray(after.pos) - np.asarray(before.pos), STEP))
    return out


def _reading(r) -> Reading:
    """The rule panel's reading of LBFGS as a particle."""
    return Reading(
        "A quasi-Newton particle: its mass is a position-dependent matrix learned from the path "
        "(the inverse of L-BFGS's two-loop estimate of H^-1 from the last history_size "
        "position and force changes), overdamped; one tick is up to max_iter such moves and "
        "max_eval force evaluations.",
        {"history_size": float(r.opt("history_size")), "max_iter": float(r.opt("max_iter")),
         "max_eval": float(_max_eval(r)), "lr": float(r.lr)})


SPEC = RuleSpec(
    name="lbfgs",
    family=Family.NEWTON_METHOD,  # lr 1, torch's default, on every landscape
    group="quasi-newton",
    color=(90, 220, 200),
    summary="L-BFGS (torch.optim.LBFGS): one tick = one .step(closure), many gradients",
    params=(
        ParamSpec("lr", 1.0, lo=0.0, lo_ok=False, help="learning rate (the step t of each move)"),
        ParamSpec("max_iter", 20, int, lo=1, help="inner iterations per tick"),
        ParamSpec("max_eval", None, int, lo=1, help="closure calls per tick (default max_iter*5//4)"),
        ParamSpec("tolerance_grad", 1e-7, float, lo=0.0, help="stop when max|g| <= this"),
        ParamSpec("tolerance_change", 1e-9, float, lo=0.0, help="stop when f or x moves less"),
        ParamSpec("history_size", 100, int, lo=1, help="(y, s) pairs kept per ball"),
        ParamSpec("line_search_fn", None, str, choices=("strong_wolfe",),
                  help="None: fixed step lr; strong_wolfe: torch's line search"),
    ),
    step=step,
    counts_steps=True,  # s.steps counts .step() calls (torch's n_iter is the buffer n_iter)
    buffers=(
        BufferSpec("old_dirs", ("history_size", 2)),
        BufferSpec("old_stps", ("history_size", 2)),
        BufferSpec("ro", ("history_size",)),
        BufferSpec("hist_start", (), np.int64),
        BufferSpec("hist_len", (), np.int64),
        BufferSpec("d", (2,)),
        BufferSpec("t", ()),
        BufferSpec("prev_flat_grad", (2,)),
        BufferSpec("prev_loss", ()),
        BufferSpec("H_diag", ()),
        BufferSpec("n_iter", (), np.int64),
        BufferSpec("func_evals", (), np.int64),
        BufferSpec("evals", (), np.int64),
    ),
    reading=_reading,
    readout=_readout,
)
