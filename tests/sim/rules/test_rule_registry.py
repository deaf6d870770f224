"""The rule registry's plumbing, proven with a throwaway rule registered only inside these tests:
parameters with torch's names and the spec's defaults (`r.opt`), the command-line options made
from its ParamSpecs (validated, one line, exit 2), the dump's params, extra buffers (fresh at a
drop, carried through ticks, the timeline and scenes, reset by a change of rule), the schedule
refused where a rule is not schedulable, and the old rules' tables derived from the registry."""
from __future__ import annotations

import json

import numpy as np
import pytest

import main
from sim.scene.schema import SceneError
from sim.scene.io import load_scene, save_scene
from sim.scene.toml_text import loads
from sim.scene.decode import scene_to_world
from sim.rules.dynamics import Rule, State, step
from sim.data.catalog import get_potential
from sim.rules import registry
from sim.rules.base import BufferSpec, Family, ParamSpec, RuleSpec
from sim.core.world import World


def step_toy(r, s, V, rng) -> bool:
    """x <- x - lr (g + weight_decay x) * etas[0] (amsgrad: * etas[1]); hist[:, k % H] = x."""
    g = V.grad(s.pos, out=s.tmp)
    g += r.opt("weight_decay") * s.pos
    a, b = r.opt("etas")
    g *= r.lr * (b if r.opt("amsgrad") else a)
    s.pos -= g
    hist = s.bufs["hist"]
    k = s.steps % hist.shape[1]
    hist[np.arange(len(k)), k] = s.pos
    s.steps += 1
    return False


TOY = RuleSpec(
    name="toy", family=Family.ADAPTIVE, group="test", color=(1, 2, 3), summary="a test rule",
    params=(ParamSpec("lr", 0.01, lo=0.0, lo_ok=False),
            ParamSpec("beta2", 0.99, lo=0.0, hi=1.0),
            ParamSpec("weight_decay", 0.0, lo=0.0),
            ParamSpec("amsgrad", False, kind=bool),
            ParamSpec("etas", (0.5, 1.2), kind="pair", lo=0.0, lo_ok=False),
            ParamSpec("history_size", 3, kind=int, lo=1),
            ParamSpec("line_search_fn", None, kind=str, choices=("strong_wolfe",))),
    step=step_toy, buffers=(BufferSpec("hist", ("history_size", 2)),), counts_steps=True,
)


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setitem(registry.specs(), "toy", TOY)
    return TOY


def test_the_old_rules_in_tab_order_and_their_tables_from_the_registry():
    from sim.rules.dynamics import EPS_DEFAULT, FAMILY, HEAVY_BALL, OPTIMIZERS, RULE_PARAMS, RULES
    assert RULES[:10] == ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "newton",
                          "langevin", "newton_method", "nesterov_ode")  # new rules come after
    assert RULE_PARAMS["adam"][:4] == ("lr", "beta", "beta2", "eps")  # then torch's options (weight_decay, ...)
    assert RULE_PARAMS["newton"] == ("mass", "friction", "dt", "integrator")
    old = set(RULES[:10])  # new rules may add their own rows
    assert {k: v for k, v in EPS_DEFAULT.items() if k in old} == {"adagrad": 1e-10, "rmsprop": 1e-8, "adam": 1e-8}
    assert tuple(k for k in HEAVY_BALL if k in old) == ("momentum", "nesterov")
    assert "newton" not in OPTIMIZERS and "newton_method" in OPTIMIZERS
    assert FAMILY["nesterov_ode"] == Family.NEWTON


def test_opt_resolves_to_the_rules_own_default(toy):
    r = Rule("toy")
    assert r.opt("beta2") == 0.99 and Rule("adam").opt("beta2") == 0.999  # each rule's default
    assert r.opt("etas") == (0.5, 1.2) and r.opt("amsgrad") is False and r.opt("line_search_fn") is None
    assert r.opt("history_size") == 3 and not r.is_set("history_size")
    r2 = r.with_(history_size=5, etas=(0.1, 2.0))
    assert r2.opt("history_size") == 5 and r2.opt("etas") == (0.1, 2.0) and r2.is_set("etas")
    assert r2.with_(name="adam").with_(name="toy") == r2  # a switch keeps what the user set
    assert r2.with_(name="adam").opt("beta2") == 0.999
    assert Rule("toy", beta2=0.5).with_(name="adam").beta2 == 0.5
    assert r.params() == {"lr": 0.01, "beta2": 0.99, "weight_decay": 0.0, "amsgrad": False,
                          "etas": (0.5, 1.2), "history_size": 3, "line_search_fn": None}
    for bad, msg in [({"history_size": 0}, "--history-size must be >= 1"),
                     ({"etas": (1.0,)}, "--etas must be two numbers"),
                     ({"etas": (0.0, 1.0)}, "--etas must be > 0"),
                     ({"amsgrad": 1}, "--amsgrad must be true or false"),
                     ({"line_search_fn": "wolfe"}, "--line-search-fn must be one of: strong_wolfe")]:
        with pytest.raises(ValueError, match=msg):
            Rule("toy", **bad)


def test_old_rules_keep_their_parameters_as_before():
    r = Rule("momentum")
    assert (r.lr, r.beta, r.beta2, r.alpha, r.eps, r.mass, r.friction, r.temperature, r.dt,
            r.integrator) == (0.01, 0.9, 0.999, 0.99, None, 1.0, 0.5, 0.1, 0.01, "verlet")
    assert Rule("adagrad").eps_value == 1e-10 and Rule("rmsprop").eps_value == 1e-8
    assert Rule("gd").eps_value == 1e-8
    assert Rule("momentum") == Rule("momentum", beta=0.9)
    assert hash(Rule("gd")) == hash(Rule("gd", lr=0.01))
    with pytest.raises(ValueError, match="unknown dynamics 'nope'"):
        Rule("nope")


def _reference_toy(x0: np.ndarray, r: Rule, ticks: int):
    """step_toy by hand on a bowl (grad = x): returns positions and the history ring."""
    x = x0.copy()
    h = r.opt("history_size")
    hist = np.zeros((len(x), h, 2))
    a, b = r.opt("etas")
    for k in range(ticks):
        x = x - r.lr * (b if r.opt("amsgrad") else a) * (x + r.opt("weight_decay") * x)
        hist[:, k % h] = x
    return x, hist


def test_extra_buffers_fresh_at_drop_carried_by_ticks_timeline_and_reset_by_a_switch(toy):
    r = Rule("toy", lr=0.1, weight_decay=0.5, history_size=4)
    w = World(get_potential("bowl"), r)
    w.drop(np.array([[1.0, -2.0], [0.5, 0.25]]))
    assert w.particles.extra_names() == []  # zero cost until a rule needs one
    w.tick(6)
    x, hist = _reference_toy(np.array([[1.0, -2.0], [0.5, 0.25]]), r, 6)
    np.testing.assert_allclose(w.particles.pos, x, rtol=1e-14)
    buf = w.particles.full("toy:hist")[: w.n]
    np.testing.assert_allclose(buf, hist, rtol=1e-14)
    saved = w.save_state()
    w.drop(np.array([[3.0, 3.0]]))  # a new ball: fresh (zero) history, the others keep theirs
    assert not w.particles.full("toy:hist")[2].any() and w.particles.full("toy:hist")[:2].any()
    w.tick(3)
    w.load_state(saved)  # the timeline puts the buffers back exactly
    assert w.n == 2
    np.testing.assert_array_equal(w.particles.full("toy:hist")[:2], hist)
    w.set_rule("gd")
    assert not w.particles.full("toy:hist")[: w.n].any()  # a change of rule resets them


def test_mixed_rules_step_extra_buffers_of_their_own_rows(toy):
    r = Rule("toy", lr=0.1, history_size=2)
    w = World(get_potential("bowl"), Rule("gd", lr=0.1))
    lane = w.add_rule(r)
    w.drop(np.array([[1.0, 1.0]]), rule_id=0)
    w.drop(np.array([[2.0, -1.0]]), rule_id=lane)
    w.drop(np.array([[1.0, 1.0]]), rule_id=0)
    w.tick(3)
    x, hist = _reference_toy(np.array([[2.0, -1.0]]), r, 3)
    np.testing.assert_allclose(w.particles.pos[1], x[0], rtol=1e-14)
    np.testing.assert_allclose(w.particles.full("toy:hist")[1], hist[0], rtol=1e-14)
    np.testing.assert_allclose(w.particles.pos[0], 0.9**3 * np.array([1.0, 1.0]), rtol=1e-14)


def test_scene_saves_and_reloads_the_options_and_extra_buffers(toy, tmp_path):
    r = Rule("toy", lr=0.1, etas=(0.25, 2.0), amsgrad=True, history_size=3,
             line_search_fn="strong_wolfe")
    w = World(get_potential("bowl"), r)
    w.drop(np.array([[1.0, -2.0], [0.5, 0.25]]))
    w.tick(4)
    path = tmp_path / "toy.toml"
    save_scene(w, path)
    w2, _ = load_scene(path)
    assert w2.rule == r and w2.rule.opt("etas") == (0.25, 2.0) and w2.rule.opt("amsgrad") is True
    np.testing.assert_array_equal(w2.particles.full("toy:hist")[:2], w.particles.full("toy:hist")[:2])
    w.tick(2)
    w2.tick(2)
    np.testing.assert_array_equal(w2.particles.pos, w.particles.pos)
    text = path.read_text()
    bad = text.replace("history_size = 3", "history_size = 0")
    with pytest.raises(SceneError, match=r"\[rule\] history_size must be >= 1"):
        scene_to_world(loads(bad))


def test_command_line_options_from_the_param_specs(toy, tmp_path, capsys):
    out = tmp_path / "toy.json"
    rc = main.main(["--headless", "--potential", "bowl", "--dynamics", "toy", "--lr", "0.1",
                    "--weight-decay", "0.5", "--etas", "0.3,1.5", "--amsgrad", "--history-size", "2",
                    "--start=1,-2", "--steps", "3", "--dump", str(out)])
    assert rc == 0, capsys.readouterr().err
    d = json.loads(out.read_text())
    assert d["params"] == {"lr": 0.1, "beta2": 0.99, "weight_decay": 0.5, "amsgrad": True,
                           "etas": [0.3, 1.5], "history_size": 2, "line_search_fn": None}
    x, _ = _reference_toy(np.array([[1.0, -2.0]]), Rule("toy", lr=0.1, weight_decay=0.5,
                                                           etas=(0.3, 1.5), amsgrad=True), 3)
    np.testing.assert_allclose(d["positions"][-1], x, rtol=1e-14)
    for args, msg in [(["--history-size", "0"], "--history-size must be >= 1"),
                      (["--history-size", "two"], "is not a whole number"),
                      (["--etas", "1"], "is not A,B"),
                      (["--amsgrad=maybe"], "is not true or false"),
                      (["--line-search-fn", "wolfe"], "--line-search-fn must be one of: strong_wolfe"),
                      (["--schedule", "cosine:10"], "--schedule is for the optimizer rules")]:
        rc = main.main(["--headless", "--potential", "bowl", "--dynamics", "toy", *args,
                        "--start=1,-2", "--steps", "3", "--dump", str(tmp_path / "x.json")])
        err = capsys.readouterr().err
        assert rc == 2 and msg in err and len(err.strip().splitlines()) == 1, err
    # an option the chosen rule does not read is accepted and left out of params (as --beta on gd)
    rc = main.main(["--headless", "--potential", "bowl", "--dynamics", "gd", "--momentum-decay", "0.1",
                    "--lr", "0.02", "--start=1,-2", "--steps", "3", "--dump", str(out)])
    assert rc == 0 and json.loads(out.read_text())["params"] == {"lr": 0.02, "weight_decay": 0.0}


def test_a_schedule_never_scales_a_rule_that_is_not_schedulable(toy):
    """Rule-level: a scheduled toy steps exactly like the constant one (no scaling)."""
    pot = get_potential("bowl")
    a, b = World(pot, Rule("toy", lr=0.1, schedule="cosine:5")), World(pot, Rule("toy", lr=0.1))
    for w in (a, b):
        w.drop(np.array([[1.0, -2.0]]))
        w.tick(4)
    np.testing.assert_array_equal(a.particles.pos, b.particles.pos)


def test_state_bufs_default_empty_for_the_old_rules():
    z = np.zeros((1, 2))
    s = State(np.array([[1.0, 1.0]]), z.copy(), z.copy(), z.copy(), z.copy(), np.zeros(1, np.int64),
              np.zeros(1), z.copy(), z.copy())
    assert s.bufs == {}
    step(Rule("gd", lr=0.5), s, get_potential("bowl"), np.random.default_rng(0))
    np.testing.assert_allclose(s.pos, [[0.5, 0.5]])


def test_the_ui_and_tab_order_follow_the_registry(toy):
    from render.controls.sections import slider_names
    from render.look.theme import RULE_COLORS
    from sim.runtime.runtime import Runtime

    assert RULE_COLORS["toy"] == (1, 2, 3) and RULE_COLORS["momentum"] == (255, 140, 50)
    assert list(RULE_COLORS)[-1] == "toy"
    assert slider_names(Rule("toy")) == ["step", "time_scale"]  # it reads no beta, mass, ...
    assert slider_names(Rule("langevin")) == ["step", "mass", "friction", "temperature", "time_scale"]
    before_toy = list(registry.names())[-2]  # the last registered rule before the test's own
    rt = Runtime(World(get_potential("bowl"), Rule(before_toy)))
    rt.switch.cycle_rule(+1)
    assert rt.world.rule.name == "toy"  # the registry's order is the Tab order
    rt.switch.cycle_rule(+1)
    assert rt.world.rule.name == "gd"


def test_a_rule_spells_out_its_own_step(monkeypatch):
    """RuleSpec.readout: the step panel shows the rule's own terms; the ball's extra buffers
    are in the captured state."""
    from dataclasses import replace

    from sim.rules.base import STEP, Term
    from sim.runtime.step_readout import capture, readout

    def terms(r, before, after, V):
        d = after.pos - before.pos
        return [Term("dx", "Δx", "x' − x", d, STEP), Term("h0", "hist[0]", "hist[0]", before.bufs["hist"][0])]

    monkeypatch.setitem(registry.specs(), "toy", replace(TOY, readout=terms))
    w = World(get_potential("bowl"), Rule("toy", lr=0.1))
    w.drop(np.array([[1.0, -2.0]]))
    w.tick(1)
    before = capture(w, 0)
    assert before.bufs["hist"].shape == (3, 2)
    np.testing.assert_array_equal(before.bufs["hist"][0], w.particles.pos[0])
    w.tick(1)
    ro = readout(before, capture(w, 0), w.potential)
    assert ro.keys() == ["dx", "h0"]
    np.testing.assert_allclose(ro.term("dx").value, -0.1 * 0.5 * before.pos, rtol=1e-14)
