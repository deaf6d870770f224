"""A small tanh network (2 -> 16 -> 1, 65 parameters) and the loss on a plane through its
trained weights.

theta = [W1 (16x2), b1 (16), W2 (16), b2 (1)], logit o(x) = W2 . tanh(W1 x + b1) + b2, loss =
mean binary cross-entropy + (l2/2)|theta|^2. The landscape is V(a, b) = loss(theta* + a d1 +
b d2), with d1, d2 filter-normalized random directions (Li, Xu, Taylor, Studer & Goldstein
2018, "Visualizing the Loss Landscape of Neural Nets": each row of a weight matrix rescaled
to the norm of the same row of theta*, bias directions zero, as their `ignore='biasbn'`), or
the first two principal directions of the start-up training path (`plane='pca'`).

Because theta is affine in (a, b), so is every hidden pre-activation:
h_jk = H0_jk + a H1_jk + b H2_jk, precomputed per example j and hidden unit k. Value, gradient
and Hessian follow in closed form. The gradient (the per-tick hot path) evaluates tanh on
[balls, examples, 16] in float32 when `fast` (about 4x faster; relative error ~1e-6), and so
does the value; the Hessian, the listed minimum and `fast=False` instances use float64.
"""
from __future__ import annotations

import numpy as np

from sim.data.base import L2_DEFAULT, DataPotential, newton_minimum
from sim.data.models import softplus32
from sim.data.sets import CLASSIFICATION, Dataset, builtin

HIDDEN = 16
N_PARAMS = 2 * HIDDEN + HIDDEN + HIDDEN + 1  # 65
TRAIN_STEPS = 1500  # full-batch Adam steps at start-up
TRAIN_LR = 0.03
TRAIN_BETAS = (0.9, 0.999)
TRAIN_EPS = 1e-8
PATH_EVERY = 10  # keep theta every this many steps (the path drawn on the map, PCA input)
PLANES = ("random", "pca")
BLOCK_CELLS = 128 * 64 * 16  # ball x example x hidden cells per block: the float32 temporaries
# (~0.5 MB) stay in cache (128 balls of the 64 moons measured fastest; 256 is 5x slower)
PLANE_VIEW = (-1.0, 1.0, -0.75, 0.75)  # Li et al. plot [-1, 1]; 4:3 like the other maps
PCA_VIEW = (-1.6, 1.6, -1.2, 1.2)  # the path spans [-1, 1] on both axes


def unpack(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """theta [65] -> W1 [16, 2], b1 [16], W2 [16], b2."""
    w1 = theta[: 2 * HIDDEN].reshape(HIDDEN, 2)
    b1 = theta[2 * HIDDEN : 3 * HIDDEN]
    w2 = theta[3 * HIDDEN : 4 * HIDDEN]
    return w1, b1, w2, float(theta[4 * HIDDEN])


def forward_loss(theta: np.ndarray, x: np.ndarray, y: np.ndarray, l2: float) -> float:
    """The network's loss on (x [n, 2], y [n]) written plainly: a reference for tests and training."""
    w1, b1, w2, b2 = unpack(theta)
    o = np.tanh(x @ w1.T + b1) @ w2 + b2
    bce = np.maximum(o, 0.0) - y * o + np.log1p(np.exp(-np.abs(o)))
    return float(bce.mean() + 0.5 * l2 * theta @ theta)


def loss_grad(theta: np.ndarray, x: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """Backpropagation of `forward_loss`: [65]."""
    w1, b1, w2, b2 = unpack(theta)
    t = np.tanh(x @ w1.T + b1)  # [n, 16]
    o = t @ w2 + b2
    r = (0.5 * (1.0 + np.tanh(0.5 * o)) - y) / len(y)  # dL/do
    dh = np.outer(r, w2) * (1.0 - t * t)  # [n, 16]
    g = np.concatenate([(dh.T @ x).ravel(), dh.sum(axis=0), t.T @ r, [r.sum()]])
    return g + l2 * theta


class Training:
    """Deterministic full-batch Adam from a seeded Glorot-style start, advanced in chunks of
    steps (`advance`): the same arithmetic in the same order however the steps are split, so a
    retrain spread over frames ends bit-identical to one run. theta, m, v [65]; path [k, 65]."""

    def __init__(self, data: Dataset, seed: int, l2: float, steps: int = TRAIN_STEPS) -> None:
        rng = np.random.default_rng(seed)
        self.theta = np.concatenate([rng.normal(0.0, np.sqrt(1.0 / 2.0), 2 * HIDDEN), np.zeros(HIDDEN),
                                     rng.normal(0.0, np.sqrt(1.0 / HIDDEN), HIDDEN), [0.0]])
        self.m = np.zeros(N_PARAMS)
        self.v = np.zeros(N_PARAMS)
        self.data, self.l2, self.steps = data, float(l2), int(steps)
        self.k = 0  # steps done
        self.path = [self.theta.copy()]

    @property
    def done(self) -> bool:
        return self.k >= self.steps

    @property
    def progress(self) -> float:
        """Fraction of the steps done, in [0, 1]."""
        return min(1.0, self.k / self.steps) if self.steps > 0 else 1.0

    def advance(self, count: int) -> bool:
        """Up to `count` more Adam steps; True when all are done."""
        b1, b2 = TRAIN_BETAS
        x, y, l2 = self.data.x, self.data.y, self.l2
        theta, m, v = self.theta, self.m, self.v
        for k in range(self.k + 1, min(self.steps, self.k + max(0, int(count))) + 1):
            g = loss_grad(theta, x, y, l2)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            theta = theta - TRAIN_LR * (m / (1 - b1**k)) / (np.sqrt(v / (1 - b2**k)) + TRAIN_EPS)
            if k % PATH_EVERY == 0:
                self.path.append(theta.copy())
            self.k = k
        self.theta, self.m, self.v = theta, m, v
        return self.done

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """(theta [65], path [k, 65]) as they stand."""
        return self.theta, np.array(self.path)


def train(data: Dataset, seed: int, l2: float, steps: int = TRAIN_STEPS) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic full-batch Adam from a seeded Glorot-style start: (theta* [65], path [k, 65])."""
    t = Training(data, seed, l2, steps)
    t.advance(steps)
    return t.result()


def random_directions(theta: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two filter-normalized Gaussian directions [65] each (Li et al. 2018)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(2):
        d = rng.standard_normal(N_PARAMS)
        dw1, db1, dw2, _ = unpack(d)
        w1, _, w2, _ = unpack(theta)
        dw1 *= (np.linalg.norm(w1, axis=1) / (np.linalg.norm(dw1, axis=1) + 1e-10))[:, None]
        dw2 *= np.linalg.norm(w2) / (np.linalg.norm(dw2) + 1e-10)  # the output layer: one filter
        db1[:] = 0.0
        d[4 * HIDDEN] = 0.0
        out.append(d)
    return out[0], out[1]


def pca_directions(theta: np.ndarray, path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two leading principal directions of the path around theta*, scaled so that the path
    spans about the unit square, signed so that the start lies at negative a."""
    diff = path - theta
    _, s, vt = np.linalg.svd(diff - diff.mean(axis=0), full_matrices=False)
    d1, d2 = vt[0], vt[1]
    c = diff @ np.column_stack([d1, d2])  # path coordinates [k, 2]
    reach = np.abs(c).max(axis=0) + 1e-12
    d1, d2 = d1 * reach[0], d2 * reach[1]
    if c[0, 0] > 0:
        d1 = -d1
    if c[0, 1] > 0:
        d2 = -d2
    return d1, d2


class MLPPlane(DataPotential):
    """The loss of the 2-16-1 tanh network on the plane theta* + a d1 + b d2.

    Trained lazily, the first time the landscape is used (import stays fast). `path` [k, 2] is
    the start-up training trajectory in plane coordinates (exactly in the plane for 'pca' up to
    the discarded components). `train_seed` seeds the initial weights and the directions.
    """

    kind = CLASSIFICATION
    NS_PER_EXAMPLE = 20.0  # float32 map cost per (point, example, hidden unit)
    axis_names = ("a", "b")  # a ball's coordinates: theta* + a d1 + b d2 on the plane

    def __init__(self, data: Dataset | None = None, l2: float = L2_DEFAULT, plane: str = "random",
                 train_seed: int = 0, fast: bool = True, name: str = "mlp") -> None:
        data = data if data is not None else builtin("moons")
        if data.kind != CLASSIFICATION:
            raise ValueError("mlp needs classification data: a CSV with columns x1,x2,label")
        if plane not in PLANES:
            raise ValueError(f"--plane must be one of: {', '.join(PLANES)}; got '{plane}'")
        if not (np.isfinite(l2) and l2 >= 0):
            raise ValueError(f"--l2 must be a finite number >= 0, got {l2}")
        self._ready = False
        self._training: Training | None = None  # a training under way (advance)
        self._minima = np.zeros((0, 2))
        self._minimum_values = np.zeros(0)
        super().__init__(name, "loss(θ* + a·d1 + b·d2), 2-16-1 tanh net", data,
                         PCA_VIEW if plane == "pca" else PLANE_VIEW, l2)
        self.plane = plane
        self.train_seed = int(train_seed)
        self.fast = bool(fast)

    # -- lazy training ---------------------------------------------------------------------
    @property
    def minima(self) -> np.ndarray:
        self.ensure()
        return self._minima

    @minima.setter
    def minima(self, value: np.ndarray) -> None:
        self._minima = value

    @property
    def minimum_values(self) -> np.ndarray:
        self.ensure()
        return self._minimum_values

    @minimum_values.setter
    def minimum_values(self, value: np.ndarray) -> None:
        self._minimum_values = value

    def ensure(self) -> None:
        """Train theta*, choose the plane and precompute the affine pre-activations (once)."""
        while not self._ready:
            self.advance(TRAIN_STEPS)

    @property
    def progress(self) -> float:
        """How far the training is, in [0, 1] (1 when the landscape is ready)."""
        if self._ready:
            return 1.0
        return 0.0 if self._training is None else self._training.progress

    def advance(self, steps: int) -> float:
        """Up to `steps` more training steps (a slice of a retrain spread over frames); after
        the last one the plane is built. Any split of the steps gives the same landscape, bit
        for bit. Returns the progress."""
        if self._ready:
            return 1.0
        if self._training is None:
            self._training = Training(self.data, self.train_seed, self.l2)
        if self._training.advance(steps):
            self._ready = True
            theta, full_path = self._training.result()
            self._training = None
            self._build_plane(theta, full_path)
        return self.progress

    def _build_plane(self, theta: np.ndarray, full_path: np.ndarray) -> None:
        """The plane through theta* [65] (directions, the path [k, 65] in plane coordinates,
        pre-activations) and its listed minimum."""
        x, y = self.data.x, self.data.y
        self.theta = theta
        if self.plane == "pca":
            self.d1, self.d2 = pca_directions(self.theta, full_path)
        else:
            self.d1, self.d2 = random_directions(self.theta, self.train_seed + 1)
        dirs = np.column_stack([self.d1, self.d2])
        self.path = np.linalg.lstsq(dirs, (full_path - self.theta).T, rcond=None)[0].T
        pre = []
        for t in (self.theta, self.d1, self.d2):
            w1, b1, _, _ = unpack(t)
            pre.append(x @ w1.T + b1)  # [n, 16]
        self.h = np.stack(pre)  # [3, n, 16]: H0, H1, H2
        self.h_flat = self.h.reshape(3, -1)
        self.h32 = self.h_flat.astype(np.float32)
        out = np.array([[*unpack(t)[2], unpack(t)[3]] for t in (self.theta, self.d1, self.d2)])
        self.out = out  # [3, 17]: (W2, b2) of theta*, d1, d2
        thetas = np.stack([self.theta, self.d1, self.d2])
        self.gram = thetas @ thetas.T  # [3, 3] for the regularizer
        self.sign = 1.0 - 2.0 * y
        fast, self.fast = self.fast, False  # the minimum from the float64 gradient
        p = newton_minimum(self, np.zeros(2))
        self.fast = fast
        mins = np.zeros((0, 2)) if p is None else p.reshape(1, 2)
        vals = self.value(mins)
        mins.flags.writeable = False
        vals.flags.writeable = False
        self._minima, self._minimum_values = mins, vals

    def cost_per_point(self) -> float:
        return float(self.data.n * HIDDEN)

    def weights_at(self, p: np.ndarray) -> np.ndarray:
        """theta(a, b) for one position p [2]: [65]."""
        self.ensure()
        return self.theta + p[0] * self.d1 + p[1] * self.d2

    # -- evaluation ----------------------------------------------------------------------
    def _coef(self, pos: np.ndarray) -> np.ndarray:
        return np.column_stack([np.ones(len(pos)), pos])  # [m, 3]: (1, a, b)

    def _reg(self, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(l2/2)|theta(a,b)|^2 [m] and its gradient [m, 2]."""
        if not self.l2:
            return np.zeros(len(pos)), np.zeros((len(pos), 2))
        c = self._coef(pos)
        gc = c @ self.gram  # [m, 3]
        return 0.5 * self.l2 * np.einsum("mi,mi->m", gc, c), self.l2 * gc[:, 1:]

    def _blocks(self, pos: np.ndarray, f, shape: tuple[int, ...]) -> np.ndarray:
        self.ensure()
        out = np.empty((len(pos), *shape))
        rows = max(1, BLOCK_CELLS // (self.data.n * HIDDEN))
        for i in range(0, len(pos), rows):
            out[i : i + rows] = f(pos[i : i + rows])
        return out

    def _hidden(self, pos: np.ndarray, dtype=np.float64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """t = tanh(h) [m, n, 16], output weights [m, 16] and bias [m], logits o [m, n]."""
        c = self._coef(pos)
        h = c.astype(dtype) @ (self.h32 if dtype == np.float32 else self.h_flat)
        t = np.tanh(h, out=h).reshape(len(pos), self.data.n, HIDDEN)
        wb = c @ self.out  # [m, 17]
        w2 = wb[:, :HIDDEN]
        o = np.matmul(t, w2.astype(dtype)[:, :, None])[:, :, 0].astype(np.float64) + wb[:, HIDDEN:]
        return t, w2, o

    def _value_pos(self, pos):
        dtype = np.float32 if self.fast else np.float64

        def block(p):
            _, _, o = self._hidden(p, dtype)
            o *= self.sign
            return (np.maximum(o, 0.0) + np.log1p(np.exp(-np.abs(o)))).mean(axis=1) + self._reg(p)[0]
        return self._blocks(pos, block, ())

    def _map_values(self, pos):
        def block(p):
            _, _, o = self._hidden(p, np.float32)
            o *= self.sign
            return softplus32(o.astype(np.float32)).mean(axis=1, dtype=np.float64) + self._reg(p)[0]
        return self._blocks(pos, block, ())

    def _grad_pos(self, pos):
        dtype = np.float32 if self.fast else np.float64
        return self._blocks(pos, lambda p: self._grad_block(p, dtype), (2,))

    def _grad_block(self, p: np.ndarray, dtype) -> np.ndarray:
        n = self.data.n
        t, w2, o = self._hidden(p, dtype)
        e = np.exp(-np.abs(o))
        r = (np.where(o >= 0, 1.0 / (1.0 + e), e / (1.0 + e)) - self.data.y) / n  # dL/do [m, n]
        # through the output layer: sum_j r_j (t_j . dW2 + db2), dW2 / db2 of d1 and d2
        v = np.matmul(r.astype(dtype)[:, None, :], t)[:, 0, :].astype(np.float64)  # [m, 16]
        g = v @ self.out[1:, :HIDDEN].T + r.sum(axis=1)[:, None] * self.out[1:, HIDDEN]
        # through the hidden layer: sum_jk r_j W2_k (1 - t_jk^2) H_ajk
        np.multiply(t, t, out=t)
        np.subtract(1.0, t, out=t)
        t *= r.astype(dtype)[:, :, None]
        t *= w2.astype(dtype)[:, None, :]
        hh = self.h32[1:] if dtype == np.float32 else self.h_flat[1:]
        g += (t.reshape(len(p), -1) @ hh.T).astype(np.float64)
        return g + self._reg(p)[1]

    def _hessian_pos(self, pos):
        return self._blocks(pos, self._hessian_block, (2, 2))

    def _hessian_block(self, p: np.ndarray) -> np.ndarray:
        n = self.data.n
        t, w2, o = self._hidden(p)
        sig = 0.5 * (1.0 + np.tanh(0.5 * o))
        r = sig - self.data.y
        s = 1.0 - t * t  # [m, n, 16]
        ha, hb = self.h[1], self.h[2]  # [n, 16]
        da, db = self.out[1], self.out[2]  # [17]
        # first derivatives of the logit
        oa = np.einsum("mjk,mk,jk->mj", s, w2, ha) + t @ da[:HIDDEN] + da[HIDDEN]
        ob = np.einsum("mjk,mk,jk->mj", s, w2, hb) + t @ db[:HIDDEN] + db[HIDDEN]
        ts = -2.0 * t * s  # tanh''
        oaa = np.einsum("mjk,mk,jk->mj", ts, w2, ha * ha) + 2.0 * np.einsum("mjk,k,jk->mj", s, da[:HIDDEN], ha)
        obb = np.einsum("mjk,mk,jk->mj", ts, w2, hb * hb) + 2.0 * np.einsum("mjk,k,jk->mj", s, db[:HIDDEN], hb)
        oab = (np.einsum("mjk,mk,jk->mj", ts, w2, ha * hb) + np.einsum("mjk,k,jk->mj", s, db[:HIDDEN], ha)
               + np.einsum("mjk,k,jk->mj", s, da[:HIDDEN], hb))
        w = sig * (1.0 - sig)
        hess = np.empty((len(p), 2, 2))
        hess[:, 0, 0] = (w * oa * oa + r * oaa).sum(axis=1) / n
        hess[:, 1, 1] = (w * ob * ob + r * obb).sum(axis=1) / n
        hess[:, 0, 1] = hess[:, 1, 0] = (w * oa * ob + r * oab).sum(axis=1) / n
        hess += self.l2 * self.gram[1:, 1:]
        return hess

    # -- minibatches -----------------------------------------------------------------------
    def example_grads(self, p):
        self.ensure()
        idx = np.arange(self.data.n)[:, None]  # each example alone
        pos = np.broadcast_to(np.asarray(p, dtype=np.float64), (self.data.n, 2))
        return self._batch_grad(pos, idx, np.float64)

    def minibatch_grad(self, pos, idx, out=None):
        self.ensure()
        g = self._batch_grad(pos, idx, np.float32 if self.fast else np.float64)
        if out is None:
            return g
        out[...] = g
        return out

    def _batch_grad(self, pos: np.ndarray, idx: np.ndarray, dtype) -> np.ndarray:
        """Mean gradient over idx [m, B] for each position [m, 2]."""
        m, bsz = idx.shape
        c = self._coef(pos).astype(dtype)  # [m, 3]
        h = self.h.astype(dtype)[:, idx]  # [3, m, B, 16]
        t = np.tanh(h[0] + c[:, 1, None, None] * h[1] + c[:, 2, None, None] * h[2])
        wb = self._coef(pos) @ self.out
        w2 = wb[:, :HIDDEN].astype(dtype)
        o = np.einsum("mbk,mk->mb", t, w2).astype(np.float64) + wb[:, HIDDEN:]
        e = np.exp(-np.abs(o))
        r = (np.where(o >= 0, 1.0 / (1.0 + e), e / (1.0 + e)) - self.data.y[idx]) / bsz
        v = np.einsum("mb,mbk->mk", r.astype(dtype), t).astype(np.float64)
        g = v @ self.out[1:, :HIDDEN].T + r.sum(axis=1)[:, None] * self.out[1:, HIDDEN]
        s = (1.0 - t * t) * r.astype(dtype)[:, :, None] * w2[:, None, :]
        g[:, 0] += np.einsum("mbk,mbk->m", s, h[1]).astype(np.float64)
        g[:, 1] += np.einsum("mbk,mbk->m", s, h[2]).astype(np.float64)
        return g + self._reg(pos)[1]

    def config(self) -> dict:
        return {"l2": self.l2, "plane": self.plane, "train_seed": self.train_seed}
