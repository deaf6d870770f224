"""An expression compiled to a flat program and evaluated over numpy arrays."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from sim.landscapes.formula.errors import VARIABLES
from sim.landscapes.formula.nodes import Expr, UFUNC, postorder


# -- evaluation ---------------------------------------------------------------------------------


class Program:
    """Several expressions compiled together into one flat list of numpy calls.

    Identical subexpressions (structurally, across all roots) are computed once; temporaries
    are dropped after their last use and reused in place (ufunc `out=`), so 1e6 points cost
    a handful of full-array passes per distinct node.
    """

    def __init__(self, roots: Sequence[Expr]):
        slot_of_key: dict[tuple, int] = {}
        slot_of_node: dict[int, int] = {}
        init: list = [None, None]  # slots 0, 1: x, y
        code: list[tuple[int, Callable, tuple[int, ...]]] = []
        slot_of_key[("x",)] = 0
        slot_of_key[("y",)] = 1
        for n in postorder(roots):
            if n.op == "const":
                key: tuple = ("const", float.hex(n.value))
            elif n.op in VARIABLES:
                key = (n.op,)
            else:
                args = tuple(slot_of_node[id(a)] for a in n.args)
                fn = UFUNC[n.op]
                if n.op == "pow" and n.args[1].op == "const":
                    c = n.args[1].value
                    special = {2.0: np.square, 0.5: np.sqrt, -1.0: np.reciprocal}.get(c)
                    if special is not None:
                        fn, args = special, args[:1]
                key = (fn, *(sorted(args) if n.op in ("add", "mul") else args))
            slot = slot_of_key.get(key)
            if slot is None:
                slot = len(init)
                slot_of_key[key] = slot
                if n.op == "const":
                    init.append(np.float64(n.value))
                else:
                    init.append(None)
                    code.append((slot, key[0], args))
            slot_of_node[id(n)] = slot
        self.root_slots = tuple(slot_of_node[id(r)] for r in roots)
        last_use: dict[int, int] = {}
        for i, (_, _, args) in enumerate(code):
            for a in args:
                last_use[a] = i
        keep = set(self.root_slots) | {0, 1}
        frees: list[list[int]] = [[] for _ in code]
        for s, i in last_use.items():
            if s not in keep and init[s] is None:
                frees[i].append(s)
        self._init = init
        self._code = [(dst, fn, args, tuple(frees[i])) for i, (dst, fn, args) in enumerate(code)]

    def __len__(self) -> int:
        return len(self._code)

    def __call__(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        """Evaluate every root at x, y (arrays of one shape); each result has that shape."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        shape = np.broadcast_shapes(x.shape, y.shape)
        vals = list(self._init)
        vals[0], vals[1] = x, y
        owned = [False] * len(vals)
        with np.errstate(all="ignore"):
            for dst, fn, args, frees in self._code:
                out = None
                for s in frees:
                    if owned[s]:
                        out = vals[s]
                        break
                if out is not None:
                    r = fn(*(vals[a] for a in args), out=out)
                else:
                    r = fn(*(vals[a] for a in args))
                vals[dst] = r
                owned[dst] = isinstance(r, np.ndarray) and r.shape == shape
                for s in frees:
                    vals[s] = None
                    owned[s] = False
            results = []
            for s in self.root_slots:
                r = vals[s]
                if owned[s]:
                    results.append(r)
                else:
                    results.append(np.array(np.broadcast_to(np.asarray(r, dtype=np.float64), shape)))
        return tuple(results)


def evaluate(expr: Expr, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """expr at x, y (arrays of one shape) -> array of that shape. May hold inf/nan; never warns."""
    return Program([expr])(x, y)[0]
