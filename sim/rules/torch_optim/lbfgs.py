"""lbfgs: torch.optim.LBFGS, one tick = one `.step(closure)` on a single [x, y] parameter
(float64), vectorized over balls.

torch's algorithm (torch/optim/lbfgs.py, transcribed operation for operation): evaluate f, g;
stop at once if max|g| <= tolerance_grad; else up to max_iter inner iterations, each: the
L-BFGS direction from the history (two-loop recursion, oldest pair first in the second loop),
a step t (min(1, 1/sum|g|) lr on the very first iteration of the optimizer, lr after) either
fixed (then f, g re-evaluated unless it was the last iteration) or chosen by torch's
`_strong_wolfe` line search (`_cubic_interpolate` inside), then the stopping tests (max_iter,
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

from sim.rules.base import GRADIENT, STEP, BufferSpec, Family, ParamSpec, Reading, RuleSpec, Term

YS_MIN = 1e-10  # torch: a pair (y, s) enters the history only if y.s > 1e-10
C1, C2, MAX_LS = 1e-4, 0.9, 25  # torch's _strong_wolfe defaults (LBFGS passes none of them)


def history_bytes(history_size: int) -> int:
    """Bytes of history per ball: old_dirs + old_stps (2 x 16 H) + ro (8 H)."""
    return 40 * int(history_size)


def _max_eval(r) -> int:
    me = r.opt("max_eval")
    return int(r.opt("max_iter")) * 5 // 4 if me is None else int(me)


def _maxabs(v: np.ndarray) -> np.ndarray:
    """torch's v.abs().max() per row of [m, 2] (NaN propagates, as torch's max does)."""
    return np.maximum(np.abs(v[:, 0]), np.abs(v[:, 1]))


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1]


def _cubic(x1, f1, g1, x2, f2, g2, lo=None, hi=None) -> np.ndarray:
    """torch's _cubic_interpolate, per row. Python's max(a, b) keeps a unless b > a and
    min(a, b) keeps a unless b < a: the where()s below keep that (it decides NaN cases)."""
    order = x1 <= x2
    if lo is None:
        lo = np.where(order, x1, x2)
        hi = np.where(order, x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    ok = d2_square >= 0
    d2 = np.sqrt(np.where(ok, d2_square, 0.0))
    min_pos = np.where(order, x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)),
                       x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2)))
    c = np.where(lo > min_pos, lo, min_pos)  # max(min_pos, xmin_bound)
    c = np.where(hi < c, hi, c)  # min(..., xmax_bound)
    return np.where(ok, c, (lo + hi) / 2.0)


def _evaluate(V, x: np.ndarray, t: np.ndarray, d: np.ndarray):
    """torch's _directional_evaluate: f and g at x + t d (param.add_(d, alpha=t))."""
    pts = x + t[:, None] * d
    return V.value(pts), V.grad(pts)


def strong_wolfe(V, x, t, d, f, g, gtd, tolerance_change, c1=C1, c2=C2, max_ls=MAX_LS):
    """torch's _strong_wolfe for m rows at once (x, d, g [m, 2]; t, f, gtd [m]).
    Returns f_new [m], g_new [m, 2], t [m], evaluations [m] (int)."""
    m = len(t)
    d_norm = _maxabs(d)
    t = np.array(t, dtype=np.float64)
    f_new, g_new = _evaluate(V, x, t, d)
    evals = np.ones(m, dtype=np.int64)
    gtd_new = _dot(g_new, d)
    t_prev = np.zeros(m)
    f_prev, g_prev, gtd_prev = f.copy(), g.copy(), gtd.copy()
    done = np.zeros(m, dtype=bool)
    ls_iter = np.zeros(m, dtype=np.int64)
    B = np.zeros((m, 2))  # bracket, its f, g and g.d
    BF = np.zeros((m, 2))
    BG = np.zeros((m, 2, 2))
    BGTD = np.zeros((m, 2))

    # bracket an interval containing a point satisfying the Wolfe criteria
    o = np.arange(m)
    while len(o):
        armijo = (f_new[o] > (f[o] + c1 * t[o] * gtd[o])) | ((ls_iter[o] > 1) & (f_new[o] >= f_prev[o]))
        wolfe = ~armijo & (np.abs(gtd_new[o]) <= -c2 * gtd[o])
        upward = ~armijo & ~wolfe & (gtd_new[o] >= 0)
        two = o[armijo | upward]
        B[two, 0], B[two, 1] = t_prev[two], t[two]
        BF[two, 0], BF[two, 1] = f_prev[two], f_new[two]
        BG[two, 0], BG[two, 1] = g_prev[two], g_new[two]
        BGTD[two, 0], BGTD[two, 1] = gtd_prev[two], gtd_new[two]
        one = o[wolfe]  # bracket = [t]: both slots hold it, low_pos = 0
        B[one, 0] = B[one, 1] = t[one]
        BF[one, 0] = BF[one, 1] = f_new[one]
        BG[one, 0] = BG[one, 1] = g_new[one]
        done[one] = True
        c = o[~(armijo | wolfe | upward)]
        if not len(c):
            break
        tc = t[c]
        min_step = tc + 0.01 * (tc - t_prev[c])
        max_step = tc * 10
        tn = _cubic(t_prev[c], f_prev[c], gtd_prev[c], tc, f_new[c], gtd_new[c], min_step, max_step)
        t_prev[c] = tc
        f_prev[c], g_prev[c], gtd_prev[c] = f_new[c], g_new[c], gtd_new[c]
        t[c] = tn
        f_new[c], g_new[c] = _evaluate(V, x[c], tn, d[c])
        evals[c] += 1
        gtd_new[c] = _dot(g_new[c], d[c])
        ls_iter[c] += 1
        cap = ls_iter[c] == max_ls  # reached max number of iterations: bracket = [0, t]
        k = c[cap]
        B[k, 0], B[k, 1] = 0.0, t[k]
        BF[k, 0], BF[k, 1] = f[k], f_new[k]
        BG[k, 0], BG[k, 1] = g[k], g_new[k]
        o = c[~cap]

    # zoom: refine the bracket until a point satisfies the criteria
    low = np.where(BF[:, 0] <= BF[:, 1], 0, 1)
    high = 1 - low
    insuf = np.zeros(m, dtype=bool)
    z = np.flatnonzero(~done & (ls_iter < max_ls))
    while len(z):
        z = z[~(np.abs(B[z, 1] - B[z, 0]) * d_norm[z] < tolerance_change)]
        if not len(z):
            break
        b0, b1 = B[z, 0], B[z, 1]
        tn = _cubic(b0, BF[z, 0], BGTD[z, 0], b1, BF[z, 1], BGTD[z, 1])
        bmax = np.where(b1 > b0, b1, b0)  # max(bracket)
        bmin = np.where(b1 < b0, b1, b0)  # min(bracket)
        eps = 0.1 * (bmax - bmin)
        u, v = bmax - tn, tn - bmin
        near = np.where(v < u, v, u) < eps
        edge = near & (insuf[z] | (tn >= bmax) | (tn <= bmin))
        moved = np.where(np.abs(tn - bmax) < np.abs(tn - bmin), bmax - eps, bmin + eps)
        tn = np.where(edge, moved, tn)
        insuf[z] = near & ~edge
        fn, gn = _evaluate(V, x[z], tn, d[z])
        evals[z] += 1
        gtdn = _dot(gn, d[z])
        ls_iter[z] += 1
        lo, hi = low[z], high[z]
        worse = (fn > (f[z] + c1 * tn * gtd[z])) | (fn >= BF[z, lo])
        a = z[worse]  # Armijo fails or not below the lowest point: the new high
        ha = hi[worse]
        B[a, ha], BF[a, ha], BG[a, ha], BGTD[a, ha] = tn[worse], fn[worse], gn[worse], gtdn[worse]
        low[a] = np.where(BF[a, 0] <= BF[a, 1], 0, 1)
        high[a] = 1 - low[a]
        keep = ~worse
        b = z[keep]
        lb, hb = lo[keep], hi[keep]
        gk = gtdn[keep]
        wolfe = np.abs(gk) <= -c2 * gtd[b]
        done[b[wolfe]] = True
        flip = ~wolfe & (gk * (B[b, hb] - B[b, lb]) >= 0)  # old high becomes the new low
        fb, fl, fh = b[flip], lb[flip], hb[flip]
        B[fb, fh], BF[fb, fh], BG[fb, fh], BGTD[fb, fh] = B[fb, fl], BF[fb, fl], BG[fb, fl], BGTD[fb, fl]
        B[b, lb], BF[b, lb], BG[b, lb], BGTD[b, lb] = tn[keep], fn[keep], gn[keep], gk
        z = z[~done[z] & (ls_iter[z] < max_ls)]

    ar = np.arange(m)
    return BF[ar, low], BG[ar, low], B[ar, low], evals


def step(r, s, V, rng) -> bool:
    """One LBFGS.step(closure) per ball (closure = V at the ball, its gradient by V.grad)."""
    n = len(s.pos)
    s.steps += 1
    if n == 0:
        return False
    lr = float(r.lr)
    max_iter = int(r.opt("max_iter"))
    max_eval = _max_eval(r)
    tol_g = float(r.opt("tolerance_grad"))
    tol_c = float(r.opt("tolerance_change"))
    H = int(r.opt("history_size"))
    wolfe = r.opt("line_search_fn") not in (None, "none")
    b = s.bufs
    old_dirs, old_stps, ro = b["old_dirs"], b["old_stps"], b["ro"]
    start, length = b["hist_start"], b["hist_len"]

    with np.errstate(all="ignore"):
        loss = V.value(s.pos)  # orig_loss = closure()
        g0 = V.grad(s.pos)
        b["func_evals"] += 1
        b["evals"][:] = 1
        rows = np.flatnonzero(~(_maxabs(g0) <= tol_g))  # the rest: opt_cond, return
        if not len(rows):
            return False
        # compact working copies of the iterating balls' state
        x = s.pos[rows].copy()
        gg, ll = g0[rows].copy(), loss[rows].copy()
        d, t = b["d"][rows].copy(), b["t"][rows].copy()
        pg, pl = b["prev_flat_grad"][rows].copy(), b["prev_loss"][rows].copy()
        hd, it = b["H_diag"][rows].copy(), b["n_iter"][rows].copy()
        ev = np.ones(len(rows), dtype=np.int64)
        inner = np.zeros(len(rows), dtype=np.int64)
        opt = np.zeros(len(rows), dtype=bool)
        L = np.arange(len(rows))
        while len(L):
            inner[L] += 1
            it[L] += 1
            first = it[L] == 1
            F = L[first]
            d[F] = -gg[F]
            hd[F] = 1.0
            start[rows[F]] = 0
            length[rows[F]] = 0
            N = L[~first]
            if len(N):
                _direction(N, rows, gg, pg, d, t, hd, old_dirs, old_stps, ro, start, length, H)
            pg[L] = gg[L]
            pl[L] = ll[L]
            inv = 1.0 / (np.abs(gg[L, 0]) + np.abs(gg[L, 1]))
            t[L] = np.where(first, np.where(inv < 1.0, inv, 1.0) * lr, lr)
            gtd = _dot(gg[L], d[L])
            go = ~(gtd > -tol_c)  # directional derivative below tolerance: break
            C = L[go]
            if not len(C):
                break
            if wolfe:
                fn, gn, tn, k = strong_wolfe(V, x[C], t[C], d[C], ll[C], gg[C], gtd[go], tol_c)
                ll[C], gg[C], t[C] = fn, gn, tn
                x[C] += tn[:, None] * d[C]
                opt[C] = _maxabs(gn) <= tol_g
                ev[C] += k
            else:
                x[C] += t[C][:, None] * d[C]
                E = C[inner[C] != max_iter]  # re-evaluate unless in the last iteration
                if len(E):
                    ll[E] = V.value(x[E])
                    gg[E] = V.grad(x[E])
                    opt[E] = _maxabs(gg[E]) <= tol_g
                    ev[E] += 1
            stop = ((inner[C] == max_iter) | (ev[C] >= max_eval) | opt[C]
                    | (_maxabs(d[C] * t[C][:, None]) <= tol_c)
                    | (np.abs(ll[C] - pl[C]) < tol_c))
            L = C[~stop]
        s.pos[rows] = x
        b["d"][rows], b["t"][rows] = d, t
        b["prev_flat_grad"][rows], b["prev_loss"][rows] = pg, pl
        b["H_diag"][rows], b["n_iter"][rows] = hd, it
        b["evals"][rows] = ev
        b["func_evals"][rows] += ev - 1
    return False


def _direction(N, rows, gg, pg, d, t, hd, old_dirs, old_stps, ro, start, length, H) -> None:
    """torch's memory update and two-loop recursion for the compact rows N (n_iter > 1):
    writes d[N] (and hd[N], the history of rows[N])."""
    R = rows[N]
    y = gg[N] - pg[N]
    s = d[N] * t[N][:, None]
    ys = _dot(y, s)
    upd = ys > YS_MIN
    if upd.any():
        U, RU = N[upd], R[upd]
        full = length[RU] == H
        slot = np.where(full, start[RU], (start[RU] + length[RU]) % H)
        old_dirs[RU, slot] = y[upd]
        old_stps[RU, slot] = s[upd]
        ro[RU, slot] = 1.0 / ys[upd]
        start[RU] = np.where(full, (start[RU] + 1) % H, start[RU])
        length[RU] = np.where(full, H, length[RU] + 1)
        hd[U] = ys[upd] / _dot(y[upd], y[upd])  # H_diag = ys / y.y
    cnt, st = length[R], start[R]
    top = int(cnt.max()) if len(cnt) else 0
    q = -gg[N]
    if top:
        # the history in torch's list order (oldest first), gathered once; entries beyond a
        # ball's count are zero, so they add exactly nothing (a = 0, be = 0)
        i_ = np.arange(top)
        ph = (st[:, None] + i_) % H
        live = i_ < cnt[:, None]
        S = np.where(live[..., None], old_stps[R[:, None], ph], 0.0)
        Y = np.where(live[..., None], old_dirs[R[:, None], ph], 0.0)
        RO = np.where(live, ro[R[:, None], ph], 0.0)
        al = np.empty((len(N), top))
        for i in range(top - 1, -1, -1):  # newest pair first
            a = (S[:, i, 0] * q[:, 0] + S[:, i, 1] * q[:, 1]) * RO[:, i]
            al[:, i] = a
            q += (-a)[:, None] * Y[:, i]  # q.add_(old_dirs[i], alpha=-al[i])
    r_ = q * hd[N][:, None]  # d = r = q * H_diag
    for i in range(top):  # oldest pair first
        be = (Y[:, i, 0] * r_[:, 0] + Y[:, i, 1] * r_[:, 1]) * RO[:, i]
        r_ += (al[:, i] - be)[:, None] * S[:, i]  # r.add_(old_stps[i], alpha=al[i] - be_i)
    d[N] = r_


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
