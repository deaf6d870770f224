"""The step readout against an independent scalar transcription of each rule (plain floats,
the rules as the design table writes them, Rosenbrock's gradient by hand), and against what
the world really did."""
import math

import numpy as np
import pytest

from sim.rules.dynamics import Rule
from sim.data.catalog import get_potential
from sim.runtime.step_readout import capture, preview, readout
from sim.core.world import World

ROW = 3
REL = 1e-9


def grad_v(x: float, y: float) -> tuple[float, float]:
    """Rosenbrock (1 − x)² + 100 (y − x²)², by hand."""
    return (-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x))


def setup(rule: Rule, warm: int = 4):
    w = World(get_potential("rosenbrock"), rule, seed=2)
    w.drop(np.array([[-1.2, 1.0], [0.5, 0.1], [1.4, 1.9], [-0.8, 0.7], [0.2, -0.3]]),
           vel=np.array([[0.1, -0.2]] * 5) if rule.newtonian else None)
    w.tick(warm)  # buffers are not zero any more
    before = capture(w, ROW)
    rng_state = w.rng.bit_generator.state
    w.tick()
    after = capture(w, ROW)
    return w, before, after, readout(before, after, w.potential), rng_state


def close(a, b) -> None:
    a = np.atleast_1d(np.asarray(a, dtype=float))
    b = np.atleast_1d(np.asarray(b, dtype=float))
    assert np.allclose(a, b, rtol=REL, atol=1e-12), (a, b)


def scalar_optimizer(r: Rule, b) -> dict:
    """One optimizer step, coordinate by coordinate, as the design table writes it."""
    out = {k: [] for k in ("g", "u", "d", "s", "m", "v", "mhat", "vhat", "ratio", "step")}
    t = b.steps + 1
    for i in range(2):
        g = grad_v(*b.pos)[i]
        out["g"].append(g)
        if r.name == "gd":
            out["step"].append(-r.lr * g)
        elif r.name in ("momentum", "nesterov"):
            u = r.beta * b.buf_a[i] + g
            out["u"].append(u)
            d = g + r.beta * u if r.name == "nesterov" else u
            out["d"].append(d)
            out["step"].append(-r.lr * d)
        elif r.name == "adagrad":
            s = b.buf_b[i] + g * g
            out["s"].append(s)
            out["step"].append(-r.lr * g / (math.sqrt(s) + r.eps_value))
        elif r.name == "rmsprop":
            s = r.alpha * b.buf_b[i] + (1 - r.alpha) * g * g
            out["s"].append(s)
            out["step"].append(-r.lr * g / (math.sqrt(s) + r.eps_value))
        elif r.name == "adam":
            m = r.beta * b.buf_a[i] + (1 - r.beta) * g
            v = r.beta2 * b.buf_b[i] + (1 - r.beta2) * g * g
            mhat, vhat = m / (1 - r.beta**t), v / (1 - r.beta2**t)
            out["m"].append(m), out["v"].append(v)
            out["mhat"].append(mhat), out["vhat"].append(vhat)
            out["ratio"].append(mhat / (math.sqrt(vhat) + r.eps_value))
            out["step"].append(-r.lr * out["ratio"][-1])
    return {k: v for k, v in out.items() if v}


OPTIMIZERS = [Rule("gd", lr=1e-3), Rule("momentum", lr=1e-3, beta=0.9),
              Rule("nesterov", lr=1e-3, beta=0.8), Rule("adagrad", lr=0.05),
              Rule("rmsprop", lr=0.01, alpha=0.9), Rule("adam", lr=0.02, beta=0.8, beta2=0.99)]


@pytest.mark.parametrize("rule", OPTIMIZERS, ids=lambda r: r.name)
def test_optimizer_readout_matches_a_scalar_transcription(rule):
    w, b, a, ro, _ = setup(rule)
    want = scalar_optimizer(rule, b)
    for k, v in want.items():
        if k == "d" and rule.name == "momentum":
            continue
        close(ro.term(k).value, v)
    close(ro.term("dx").value, want["step"])  # the world moved the ball by the same step
    close(a.pos, np.asarray(b.pos) + want["step"])
    if rule.name == "adam":
        t = b.steps + 1
        assert ro.term("t").value == t == 5
        close(ro.term("bc1").value, 1 - rule.beta**t)
        close(ro.term("bc2").value, 1 - rule.beta2**t)
    expected = {"gd": ["g", "step", "dx"], "momentum": ["g", "u", "step", "dx"],
                "nesterov": ["g", "u", "d", "step", "dx"], "adagrad": ["g", "s", "step", "dx"],
                "rmsprop": ["g", "s", "step", "dx"],
                "adam": ["g", "t", "m", "v", "bc1", "bc2", "mhat", "vhat", "ratio", "step", "dx"]}
    assert sorted(ro.keys()) == sorted(expected[rule.name])


def scalar_newton(r: Rule, b, a) -> dict:
    """Newton's law for one ball, coordinate by coordinate (force at the old state)."""
    out: dict[str, list[float]] = {k: [] for k in ("force", "friction", "a", "v_half",
                                                  "x_half", "v_fric", "force1", "v1", "drift")}
    c1 = math.exp(-r.friction * r.dt / r.mass)
    h = r.dt / 2
    for i in range(2):
        f = -grad_v(*b.pos)[i]
        fr = -r.friction * b.vel[i]
        acc = (f + fr) / r.mass
        out["force"].append(f), out["friction"].append(fr), out["a"].append(acc)
        if r.integrator == "verlet" or r.name == "langevin":
            vh = b.vel[i] + h * f / r.mass
            out["v_half"].append(vh)
            out["x_half"].append(b.pos[i] + h * vh)
            out["v_fric"].append(c1 * vh)
            f1 = -grad_v(*a.pos)[i]
            out["force1"].append(f1)
        elif r.integrator == "symplectic":
            out["v1"].append(b.vel[i] + r.dt * acc)
            out["drift"].append(r.dt * out["v1"][-1])
        else:
            out["v1"].append(b.vel[i] + r.dt * acc)
            out["drift"].append(r.dt * b.vel[i])
    return {k: v for k, v in out.items() if v}


NEWTONS = [Rule("newton", dt=0.01, friction=0.4, mass=2.0),
           Rule("newton", dt=0.01, friction=0.0),
           Rule("newton", dt=0.01, friction=0.4, integrator="symplectic"),
           Rule("newton", dt=0.01, friction=0.4, integrator="euler", mass=0.5),
           Rule("langevin", dt=0.01, friction=0.7, temperature=0.8, mass=1.5)]


@pytest.mark.parametrize("rule", NEWTONS, ids=lambda r: f"{r.name}-{r.integrator}-{r.friction}")
def test_newton_readout_matches_a_scalar_transcription(rule):
    w, b, a, ro, rng_state = setup(rule)
    want = scalar_newton(rule, b, a)
    for k, v in want.items():
        close(ro.term(k).value, v)
    close(ro.term("dx").value, a.pos - b.pos)
    close(ro.term("dv").value, a.vel - b.vel)
    h = rule.dt / 2
    if rule.name == "langevin":
        c1 = math.exp(-rule.friction * rule.dt / rule.mass)
        sigma = math.sqrt((1 - c1 * c1) * rule.temperature / rule.mass)
        close(ro.term("sigma").value, sigma)
        xi = np.random.Generator(np.random.PCG64())  # the world's draw, reproduced
        xi.bit_generator.state = rng_state
        draw = xi.standard_normal((w.n, 2))[ROW]
        close(ro.term("noise").value, sigma * draw)
        v_out = np.asarray(want["v_fric"]) + sigma * draw
    elif "v_fric" in want:
        v_out = np.asarray(want["v_fric"])
    if "v_fric" in want:  # the half steps land where the world put the ball
        x1 = np.asarray(want["x_half"]) + h * v_out
        close(ro.term("x1").value, x1)
        close(a.pos, x1)
        v1 = v_out + h * np.asarray(want["force1"]) / rule.mass
        close(ro.term("v1").value, v1)
        close(a.vel, v1)
    else:
        close(a.vel, want["v1"])
        close(a.pos - b.pos, want["drift"])


def test_preview_leaves_the_world_exactly_as_it_was_and_explains_the_next_tick():
    rule = Rule("langevin", dt=0.01, friction=0.7, temperature=0.8)
    w, *_ = setup(rule)
    before = w.save_state()
    edits = w.edits
    ro = preview(w, ROW)
    after = w.save_state()
    assert edits == w.edits
    assert repr(before.rng) == repr(after.rng)
    for k in before.arrays:
        assert before.arrays[k].tobytes() == after.arrays[k].tobytes(), k
    b = capture(w, ROW)
    w.tick()
    again = readout(b, capture(w, ROW), w.potential)
    for t in again.terms:
        close(ro.term(t.key).value, t.value)


def test_diverged_ball_and_bad_row():
    w = World(get_potential("rosenbrock"), Rule("gd", lr=10.0), seed=1)
    w.drop(np.array([[3.0, 3.0]]))
    w.tick(10)
    assert w.counts()[1] == 1
    b = capture(w, 0)
    w.tick()
    ro = readout(b, capture(w, 0), w.potential)
    assert ro.terms == () and "diverged" in ro.note
    with pytest.raises(IndexError):
        capture(w, 5)


def test_step_watch_explains_the_last_tick():
    from sim.runtime.step_readout import StepWatch

    w, *_ = setup(Rule("momentum", lr=1e-3, beta=0.9))
    watch = StepWatch()
    watch.select(ROW)
    watch.before_tick(w)
    b = capture(w, ROW)
    w.tick()
    ro = watch.after_tick(w)
    assert ro is not None and ro.tick == w.tick_count
    close(ro.term("u").value, scalar_optimizer(w.rule, b)["u"])
    watch.select(None)
    watch.before_tick(w)
    w.tick()
    assert watch.after_tick(w) is None


def test_explain_last_uses_the_timeline_and_leaves_the_world_and_its_future():
    from sim.runtime.step_readout import StepWatch, explain_last
    from sim.runtime.timeline import Timeline

    w, *_ = setup(Rule("langevin", dt=0.01, friction=0.7, temperature=0.8))
    tl = Timeline(budget_bytes=100_000, window_ticks=100)
    watch = StepWatch()
    watch.select(ROW)
    tl.record(w)
    for _ in range(30):
        watch.before_tick(w)
        w.tick()
        watch.after_tick(w)
        tl.record(w)
        if w.tick_count == 22:
            at22 = watch.last
    tl.restore(w, 22)  # scrubbed back: the future 23..35 must survive
    state = w.save_state()
    spans = tl.spans()
    ro = explain_last(w, tl, ROW)
    assert tl.spans() == spans
    after = w.save_state()
    for k in state.arrays:
        assert state.arrays[k].tobytes() == after.arrays[k].tobytes()
    assert repr(state.rng) == repr(after.rng)
    assert ro.keys() == at22.keys()
    for t in ro.terms:
        close(t.value, at22.term(t.key).value)
    tl.restore(w, tl.first)  # the tick before the first one held is not held
    assert explain_last(w, tl, ROW) is None
