"""The timeline restores any recorded tick exactly: continuing from it gives the first run's
future bit for bit, checked against independent runs of fresh worlds (no timeline); memory
stays within the budget (measured with tracemalloc); a change at a past tick forks."""
import gc
import tracemalloc

import numpy as np
import pytest

from sim.rules.dynamics import Rule
from sim.core.particles import FIELDS
from sim.data.catalog import get_potential
from sim.runtime.timeline import ROW_BYTES, Timeline
from sim.core.world import World

N_TICKS = 60

CASES = {
    "gd": [Rule("gd", lr=2e-3)],
    "momentum": [Rule("momentum", lr=1e-3, beta=0.9)],
    "nesterov": [Rule("nesterov", lr=1e-3, beta=0.8)],
    "adagrad": [Rule("adagrad", lr=0.05)],
    "rmsprop": [Rule("rmsprop", lr=0.01)],
    "adam": [Rule("adam", lr=0.02)],
    "newton": [Rule("newton", dt=0.01, friction=0.3)],
    "symplectic": [Rule("newton", dt=0.01, friction=0.3, integrator="symplectic")],
    "euler": [Rule("newton", dt=0.01, friction=0.3, integrator="euler")],
    "langevin": [Rule("langevin", dt=0.01, friction=0.5, temperature=0.4)],
    "several": [Rule("momentum", lr=1e-3), Rule("newton", dt=0.01, friction=0.2),
                Rule("langevin", dt=0.01, friction=0.5, temperature=0.3), Rule("adam", lr=0.02)],
}


def build(rules: list[Rule], potential: str = "rosenbrock", seed: int = 5) -> World:
    w = World(get_potential(potential), rules[0], seed=seed)
    for r in rules[1:]:
        w.add_rule(r)
    for rid in range(len(rules)):
        w.drop(w.rng.uniform(-1.5, 1.5, (150, 2)), rule_id=rid)
    return w


def script(w: World, start: int, stop: int, tl: Timeline | None = None) -> None:
    """Tick from `start` to `stop` with a fixed plan of commands: a drop at tick 20 (adam's
    step counts then differ between balls), a parameter change at tick 37."""
    for t in range(start, stop):
        if t == 20:
            w.drop(np.array([[0.3, -0.2], [1.1, 0.9], [-0.7, 0.4]]), rule_id=len(w.rules) - 1)
        if t == 37:
            if w.rule.newtonian:
                w.set_params(friction=w.rule.friction * 1.5)
            else:
                w.set_params(lr=w.rule.lr * 0.7)
        if tl is not None and t in (20, 37):
            tl.record(w)
        w.tick()
        if tl is not None:
            tl.record(w)


def bits(s) -> tuple:
    """A world state as bytes: every array, rules, clock, random generator."""
    return (tuple((k, s.arrays[k].tobytes()) for k in FIELDS), s.rules, s.tick_count,
            s.time, repr(s.rng))


def reference(rules: list[Rule], ticks: int, potential: str = "rosenbrock") -> World:
    w = build(rules, potential)
    script(w, 0, ticks)
    return w


@pytest.mark.parametrize("case", sorted(CASES))
def test_restore_then_continue_is_bit_identical(case):
    rules = CASES[case]
    tl = Timeline(budget_bytes=400_000, window_ticks=400)  # small: keyframes every few ticks
    w = build(rules)
    tl.record(w)
    script(w, 0, N_TICKS, tl)
    assert tl.interval > 1 and len(tl.spans()) == 1
    final = bits(reference(rules, N_TICKS).save_state())
    assert bits(w.save_state()) == final
    for k in (7, 21, 36, 38, 55, 13):  # both directions, across the drop and the change
        tl.restore(w, k)
        here = w.save_state()
        if k < 20:  # no command before 20: a fresh run of k ticks
            assert bits(here) == bits(reference(rules, k).save_state())
        script(w, k, N_TICKS, tl)
        assert bits(w.save_state()) == final, k


def test_random_order_restores_match_every_tick_of_the_run():
    rules = CASES["langevin"]
    w = build(rules, "saddle")
    w.set_params(dt=0.5)  # some balls run off and are frozen on the way
    tl = Timeline(budget_bytes=300_000, window_ticks=300)
    tl.record(w)
    seen = {}
    for _ in range(50):
        w.tick()
        tl.record(w)
        seen[w.tick_count] = (w.particles.pos.tobytes(), w.particles.vel.tobytes(),
                              repr(w.rng.bit_generator.state))
    assert w.counts()[1] > 0
    order = np.random.default_rng(0).permutation(np.arange(1, 51))
    for k in list(order) + [50, 49, 50, 1, 2, 3, 50]:
        tl.restore(w, int(k))
        got = (w.particles.pos.tobytes(), w.particles.vel.tobytes(),
               repr(w.rng.bit_generator.state))
        assert got == seen[int(k)], k
        assert w.tick_count == k


def test_a_change_at_a_past_tick_forks_a_new_future():
    rules = CASES["momentum"]
    tl = Timeline(budget_bytes=200_000, window_ticks=200)
    w = build(rules)
    tl.record(w)
    for _ in range(40):
        w.tick()
        tl.record(w)
    first = bits(w.save_state())
    tl.restore(w, 15)
    w.set_params(beta=0.5)
    tl.record(w)
    assert tl.last == 15  # the old future is gone
    for _ in range(25):
        w.tick()
        tl.record(w)
    forked = bits(w.save_state())
    assert forked != first
    brute = build(rules)  # independent: 15 ticks, the change, 25 more
    brute.tick(15)
    brute.set_params(beta=0.5)
    brute.tick(25)
    assert forked == bits(brute.save_state())
    tl.restore(w, 40)
    assert bits(w.save_state()) == forked
    tl.restore(w, 9)  # before the fork: the old past
    old = build(rules)
    old.tick(9)
    assert bits(w.save_state()) == bits(old.save_state())


def test_truncate_forgets_the_future_and_unrecorded_ticks_leave_a_gap():
    w = build(CASES["gd"])
    tl = Timeline(budget_bytes=200_000, window_ticks=200)
    tl.record(w)
    w.tick(10)
    tl.record(w)
    tl.truncate(6)
    assert tl.spans() == [(0, 6)]
    w.tick(3)
    tl.record(w)  # the world went past the cut: 7..12 are not held
    assert not tl.has(9) and tl.has(13) and tl.has(6)
    with pytest.raises(ValueError, match="not in the timeline"):
        tl.restore(w, 9)


def test_restart_starts_a_new_history():
    rules = CASES["langevin"]
    w = build(rules)
    tl = Timeline()
    tl.record(w)
    w.tick(30)
    tl.record(w)
    w.restart()
    tl.record(w)
    w.tick(5)
    tl.record(w)
    assert tl.spans() == [(0, 5)]
    tl.restore(w, 0)
    assert np.array_equal(w.particles.pos, w.particles.origin)


def test_another_world_and_a_too_big_world():
    w = build(CASES["gd"])
    tl = Timeline(budget_bytes=10 * ROW_BYTES)  # smaller than one keyframe of 150 balls
    tl.record(w)
    w.tick()
    tl.record(w)
    assert tl.spans() == [] and tl.nbytes == 0
    with pytest.raises(ValueError):
        tl.restore(w, 0)
    with pytest.raises(ValueError, match="another world"):
        tl.restore(build(CASES["gd"]), 0)


@pytest.mark.parametrize("case", ["langevin", "adam"])
def test_memory_stays_within_the_budget_and_covers_the_window(case):
    n, window, budget = 600, 300, 2 * 2**20
    w = World(get_potential("gaussian_wells"), CASES[case][0], seed=1)
    w.drop_random(n)
    w.tick()
    tl = Timeline(budget_bytes=budget, window_ticks=window)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    peak_held = 0
    for _ in range(3 * window):
        w.tick()
        tl.record(w)
        if w.tick_count % 50 == 0:
            gc.collect()
            peak_held = max(peak_held, tracemalloc.get_traced_memory()[0] - base)
    tracemalloc.stop()
    assert tl.nbytes <= budget
    assert peak_held <= budget + 2 * n * ROW_BYTES  # plus the keyframe being taken
    first, last = tl.spans()[-1]
    assert last - first >= window  # the budget covers at least the stated window
    assert tl.interval > 1


def test_state_save_load_round_trip_is_a_copy():
    w = build(CASES["several"])
    w.tick(5)
    s = w.save_state()
    w.tick(5)
    after = bits(w.save_state())
    w.load_state(s)
    w.tick(5)
    assert bits(w.save_state()) == after
    w.load_state(s)
    w.particles.pos[:] = 0.0  # the saved state is not shared with the world
    assert not np.array_equal(s.arrays["pos"], w.particles.pos)


def test_a_rule_written_without_a_command_still_starts_a_new_keyframe():
    rules = CASES["several"]
    w = build(rules)
    tl = Timeline(budget_bytes=400_000, window_ticks=400)
    tl.record(w)
    w.tick(10)
    tl.record(w)
    w.rules[1] = w.rules[1].with_(friction=0.9)  # as a twin sync does, bypassing the commands
    w.tick(5)
    tl.record(w)
    after = bits(w.save_state())
    tl.restore(w, 5)
    tl.restore(w, 15)
    assert bits(w.save_state()) == after
    assert not tl.has(12)  # the ticks between the write and the record are not replayable


def test_the_interval_keeps_a_restore_short_for_many_balls(monkeypatch):
    from sim.runtime import timeline as T

    monkeypatch.setattr(T, "MAX_REPLAY_BALL_TICKS", 1000)
    w = build(CASES["langevin"])  # 150 balls: at most 6 ticks between keyframes
    tl = Timeline(budget_bytes=10**9, window_ticks=10**6)
    tl.record(w)
    for _ in range(40):
        w.tick()
        tl.record(w)
    assert tl.interval == 1000 // 150
    assert len(tl.spans()) == 1 and tl.spans()[0] == (0, 40)


def test_keyframes_share_what_did_not_change_and_copy_what_did():
    w = build(CASES["momentum"])
    a = w.save_state()
    w.tick(3)
    b = w.save_state(a)
    for k in ("origin", "origin_vel", "rule", "energy0", "vel", "grad", "buf_b", "status"):
        assert b.arrays[k] is a.arrays[k], k  # momentum never writes these
    for k in ("pos", "prev", "buf_a"):
        assert b.arrays[k] is not a.arrays[k] and not np.array_equal(b.arrays[k], a.arrays[k])
    w.restart()  # a command: drop points are compared, not trusted; they are still equal
    c = w.save_state(b)
    assert c.arrays["origin"] is b.arrays["origin"]
    w.drop(np.array([[0.1, 0.2]]))
    d = w.save_state(c)
    assert d.arrays["origin"] is not c.arrays["origin"] and len(d.arrays["origin"]) == 151


def test_restore_gives_back_the_owners_bookkeeping_of_that_stretch():
    """A runtime keeps more than the world (which balls are partners): it changes with commands
    only, so the value saved at each keyframe holds until the next one."""
    w = build(CASES["gd"])
    book = {"pairs": 0}
    tl = Timeline(budget_bytes=400_000, window_ticks=400, extra=lambda: dict(book))
    tl.record(w)
    seen = {}
    for t in range(1, 61):
        if t in (20, 45):  # a command that also changes the owner's bookkeeping
            w.drop(np.array([[0.1 * t, 0.0]]))
            book["pairs"] += 1
            tl.record(w)
            seen[w.tick_count] = book["pairs"]  # the tick now holds the state after the command
        w.tick()
        tl.record(w)
        seen[w.tick_count] = book["pairs"]
    for k in (5, 18, 19, 20, 21, 44, 46, 60, 1):
        assert tl.restore(w, k) == {"pairs": seen[k]}, k


def test_held_bytes_are_the_distinct_arrays_of_the_kept_keyframes():
    """The timeline keeps its byte count as keyframes come and go (evictions, forks); it must
    equal a fresh count of the distinct arrays the kept keyframes hold, after every step."""
    w = World(get_potential("gaussian_wells"), Rule("langevin", temperature=0.3, dt=0.02), seed=2)
    w.drop_random(300)
    tl = Timeline(budget_bytes=300 * ROW_BYTES * 40, window_ticks=60)
    rng = np.random.default_rng(0)

    def fresh() -> int:
        seen = {}
        for key in tl._keys:  # the test reads the keyframes to count them independently
            for a in key.state.arrays.values():
                seen[id(a)] = a.nbytes
        return sum(seen.values())

    for i in range(400):
        w.tick()
        tl.record(w)
        if i % 97 == 50:  # a fork in the past
            tl.truncate(w.tick_count - int(rng.integers(1, 30)))
            tl.record(w)
        if i % 131 == 70:
            w.drop_random(5)
            tl.record(w)
        assert tl.nbytes == fresh(), i
    assert tl.nbytes <= tl.budget_bytes and len(tl.spans())
