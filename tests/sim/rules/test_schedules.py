"""Schedules against torch.optim.lr_scheduler's recursive updates, transcribed (torch 2.x
get_lr of StepLR, CosineAnnealingLR and LinearLR); torch itself is not needed."""
from __future__ import annotations

import math

import numpy as np
import pytest

from sim.rules.schedules import Schedule, lr_factor, parse_schedule

BASE = 0.1


def torch_steplr(step_size, gamma, n):
    lr, out = BASE, [BASE]
    for epoch in range(1, n):
        if epoch != 0 and epoch % step_size == 0:
            lr = lr * gamma
        out.append(lr)
    return out


def torch_cosine(t_max, n, eta_min=0.0):
    lr, out = BASE, [BASE]
    for epoch in range(1, n):
        if (epoch - 1 - t_max) % (2 * t_max) == 0:
            lr = lr + (BASE - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
        else:
            lr = ((1 + math.cos(math.pi * epoch / t_max)) / (1 + math.cos(math.pi * (epoch - 1) / t_max))
                  * (lr - eta_min) + eta_min)
        out.append(lr)
    return out


def torch_linear(start, end, total, n):
    lr, out = BASE * start, [BASE * start]
    for epoch in range(1, n):
        if epoch <= total:
            lr = lr * (1.0 + (end - start) / (total * start + (epoch - 1) * (end - start)))
        out.append(lr)
    return out


@pytest.mark.parametrize("k,g", [(1, 0.5), (3, 0.1), (10, 0.9)])
def test_step(k, g):
    s = parse_schedule(f"step:{k}:{g}")
    got = BASE * lr_factor(s, np.arange(40))
    np.testing.assert_allclose(got, torch_steplr(k, g, 40), rtol=1e-12)


@pytest.mark.parametrize("t", [1, 5, 17])
def test_cosine(t):
    s = parse_schedule(f"cosine:{t}")
    n = 3 * t + 4 if t > 1 else 3  # torch's recursion divides by zero at T=1 past T
    got = BASE * lr_factor(s, np.arange(n))
    np.testing.assert_allclose(got, torch_cosine(t, n), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("k", [1, 4, 25])
def test_warmup(k):
    s = parse_schedule(f"warmup:{k}")
    got = BASE * lr_factor(s, np.arange(60))
    np.testing.assert_allclose(got, torch_linear(1.0 / k, 1.0, k, 60), rtol=1e-12)


def test_parse_errors_and_round_trip():
    assert parse_schedule("constant") == Schedule()
    for bad in ("linear", "step:3", "step:0:0.5", "cosine:x", "warmup:-2", "step:2:nan", "step:2:-1"):
        with pytest.raises(ValueError):
            parse_schedule(bad)
    for spec in ("step:3:0.5", "cosine:100", "warmup:10", "constant"):
        assert parse_schedule(spec).spec() == spec
