"""The fixed-timestep accumulator as a pure function, driven by a fake clock."""
import math

import pytest

from sim.core.clock import MAX_FRAME_SECONDS, MAX_TICKS_PER_FRAME, TICK_SECONDS, advance


def drive(frame_times, time_scale=1.0):
    acc, ticks, alphas = 0.0, 0, []
    for dt in frame_times:
        n, acc, alpha = advance(acc, dt, time_scale)
        ticks += n
        alphas.append(alpha)
    return ticks, acc, alphas


@pytest.mark.parametrize("fps", [30, 59.94, 60, 144, 240, 1000])
def test_sim_rate_is_independent_of_frame_rate(fps):
    seconds = 10.0
    ticks, acc, alphas = drive([1.0 / fps] * round(seconds * fps))
    assert abs(ticks - seconds / TICK_SECONDS) <= 1
    assert all(0.0 <= a < 1.0 for a in alphas)


def test_leftover_time_is_carried_and_alpha_is_the_fraction():
    n, acc, alpha = advance(0.0, 1.5 * TICK_SECONDS)
    assert n == 1
    assert acc == pytest.approx(0.5 * TICK_SECONDS)
    assert alpha == pytest.approx(0.5)
    n, acc, alpha = advance(acc, 0.6 * TICK_SECONDS)
    assert n == 1 and alpha == pytest.approx(0.1)


def test_long_frame_is_clamped():
    n, acc, _ = advance(0.0, 5.0)  # a 5 s hitch (debugger, window drag)
    assert n == math.floor(MAX_FRAME_SECONDS / TICK_SECONDS + 1e-9)


def test_time_scale_multiplies_sim_time():
    slow, _, _ = drive([1 / 60] * 600, time_scale=0.5)
    fast, _, _ = drive([1 / 60] * 600, time_scale=4.0)
    assert abs(slow - 300) <= 1 and abs(fast - 2400) <= 1


def test_pause_is_time_scale_zero_and_bad_clock_values_are_harmless():
    assert advance(0.0, 1 / 60, 0.0).ticks == 0
    for bad in (-1.0, float("nan"), float("inf")):
        n, acc, alpha = advance(0.0, bad)
        assert n == 0 and acc == 0.0 and alpha == 0.0


def test_tick_cap_drops_the_excess_instead_of_spiralling():
    n, acc, alpha = advance(0.0, 0.25, time_scale=1000.0)
    assert n == MAX_TICKS_PER_FRAME and acc == 0.0
