"""Tick-keyed plot samples against a plain Python list model: order, overwrite after a jump
back, the capacity bound."""
import numpy as np
import pytest

from sim.runtime.tick_series import TickSeries


def test_matches_a_list_model_through_jumps_back_and_wraparound():
    rng = np.random.default_rng(5)
    s = TickSeries(("loss", "energy"), capacity=50)
    model: list[tuple[int, float, float]] = []
    tick = 0
    for _ in range(600):
        if rng.random() < 0.05:
            tick = int(rng.integers(0, tick + 1))  # a restore: continue from an earlier tick
        else:
            tick += int(rng.integers(1, 4))
        v = (float(rng.normal()), float(rng.normal()))
        s.append(tick, v)
        model = [m for m in model if m[0] < tick] + [(tick, *v)]
        model = model[-50:]
        assert s.ticks().tolist() == [m[0] for m in model]
        assert np.array_equal(s.values("energy"), [m[2] for m in model])
        assert s.values().shape == (len(model), 2)
    assert s.count <= s.capacity


def test_truncate_clear_and_bad_input():
    s = TickSeries(("v",), capacity=10)
    for t in range(5):
        s.append(t, [t * 1.5])
    v0 = s.version
    s.truncate(2)
    assert s.ticks().tolist() == [0, 1, 2] and s.version > v0 and s.last_tick == 2
    s.clear()
    assert s.count == 0 and s.last_tick is None and len(s.ticks()) == 0
    with pytest.raises(ValueError):
        TickSeries((), 5)
