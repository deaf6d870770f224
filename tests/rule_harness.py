"""Test stand-ins for a rule's parameters and state (until the registry builds them): a rule
with `.lr` and `.opt(name)` from the spec's defaults, and a State-like namespace whose `bufs`
hold the spec's declared buffers (fresh zeros); and balls dropped at two different ticks."""
from __future__ import annotations

import types

import numpy as np


class RuleStandIn:
    def __init__(self, spec, lr: float, **options):
        self.spec, self.lr, self.options = spec, lr, options
        names = {p.name for p in spec.params}
        assert set(options) <= names, set(options) - names

    def opt(self, name: str):
        if name in self.options:
            return self.options[name]
        return {p.name: p.default for p in self.spec.params}[name]


def make_state(spec, rule, pos) -> types.SimpleNamespace:
    pos = np.array(pos, dtype=np.float64).reshape(-1, 2)
    n = len(pos)
    bufs = {}
    for b in spec.buffers:
        shape = tuple(int(rule.opt(x)) if isinstance(x, str) else x for x in b.shape)
        bufs[b.name] = np.zeros((n,) + shape, dtype=b.dtype)

    def z():
        return np.zeros((n, 2))

    return types.SimpleNamespace(pos=pos, vel=z(), grad=z(), buf_a=z(), buf_b=z(),
                                 steps=np.zeros(n, dtype=np.int64), tmp=z(), tmp2=z(),
                                 dissipated=np.zeros(n), grad_valid=False, same_steps=None,
                                 bufs=bufs)


def concat_states(a, b) -> types.SimpleNamespace:
    """Two states' rows one after the other (balls dropped at different times)."""
    out = {}
    for k, v in vars(a).items():
        if isinstance(v, np.ndarray):
            out[k] = np.concatenate([v, getattr(b, k)])
        elif k == "bufs":
            out[k] = {name: np.concatenate([v[name], b.bufs[name]]) for name in v}
        else:
            out[k] = v
    return types.SimpleNamespace(**out)


def dropped_in_two_groups(step, spec, rule, V, early, late, before: int, after: int):
    """The state of balls `early` stepped `before` ticks alone, then `after` more ticks with
    balls `late` dropped after them (the step: spec's step function, `step(rule, s, V, None)`)."""
    s = make_state(spec, rule, early)
    for _ in range(before):
        step(rule, s, V, None)
    s = concat_states(s, make_state(spec, rule, late))
    for _ in range(after):
        step(rule, s, V, None)
    return s
