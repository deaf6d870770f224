"""Scenes: exact save/load/continue, the TOML writer, the lessons' advertised behaviour, errors."""
from __future__ import annotations

import math
import os

import numpy as np
import pytest

from sim.scene.schema import PARTICLE_KEYS, RNG_GENERATORS, SceneError, SceneInfo, __doc__
from sim.scene.toml_text import dumps, loads
from sim.scene.presets import find_scene, list_presets
from sim.scene.io import load_scene, save_scene
import os
from sim.scene.decode import scene_to_world
from sim.scene.encode import world_to_scene
from sim.rules.dynamics import Rule
from sim.landscapes.formula.potential import expression_potential
from sim.core.particles import DIVERGED, FIELDS
from sim.data.catalog import get_potential
from sim.core.world import World
from tests.support.worlds import assert_same_world

LESSONS = ("ravine_gd_vs_momentum", "momentum_is_newton", "overdamped_limit", "adam_rosenbrock",
           "heat_escape", "euler_vs_verlet", "himmelblau_basins", "force_not_momentum",
           "condition_number", "energy_never_rises", "escape_rate", "adam_never_settles",
           "lbfgs_few_costly_ticks", "newtons_method_vs_newtons_law", "fit_a_line", "sgd_is_hot",
           "network_slice", "marble_on_the_wall", "adamw_vs_l2", "lion_constant_speed",
           "sam_flat_minimum")


# -- round trip: save, load, continue ---------------------------------------------------------

RULES = [
    Rule("gd", lr=0.004),
    Rule("momentum", lr=0.002, beta=0.9),
    Rule("nesterov", lr=0.002, beta=0.8),
    Rule("adagrad", lr=0.3),
    Rule("rmsprop", lr=0.02, alpha=0.9),
    Rule("adam", lr=0.05, beta=0.8, beta2=0.99, eps=1e-6),
    Rule("newton", friction=0.3, dt=0.01),
    Rule("newton", friction=0.0, dt=0.01, integrator="symplectic"),
    Rule("newton", friction=0.2, dt=0.005, integrator="euler"),
    Rule("langevin", friction=0.5, temperature=2.0, dt=0.01),
]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.name}-{r.integrator}")
def test_saved_world_continues_exactly(rule, tmp_path):
    w = World(get_potential("himmelblau"), rule, seed=11)
    w.drop_random(6)
    w.drop(np.array([[1.0, -1.0]]), vel=np.array([[0.5, 0.25]]))
    w.tick(100)
    path = save_scene(w, tmp_path / "run.toml", title="t")
    w2, info = load_scene(path)
    assert_same_world(w, w2)
    w.tick(200)
    w2.tick(200)
    assert_same_world(w, w2)  # positions identical, not just close


def test_lanes_heat_and_diverged_particles_continue_exactly(tmp_path):
    """Interleaved race lanes (two of them hot), a diverged particle, then 200 more ticks."""
    w = World(get_potential("gaussian_wells"), Rule("langevin", temperature=0.5, dt=0.03), seed=5)
    w.add_rule(Rule("adam", lr=0.05))
    w.add_rule(Rule("langevin", temperature=1.5, friction=0.2, dt=0.02))
    w.add_rule(Rule("gd", lr=50.0))  # diverges at once
    rng = np.random.default_rng(0)
    for i in (0, 1, 2, 0, 2, 1, 3, 0):
        w.drop(rng.uniform(-3, 3, (3, 2)), rule_id=i)
    w.tick(100)
    assert w.counts()[1] == 3
    w2, _ = load_scene(save_scene(w, tmp_path / "mixed.toml"))
    assert_same_world(w, w2)
    w.tick(200)
    w2.tick(200)
    assert_same_world(w, w2)
    assert (w2.particles.status == DIVERGED).sum() == 3


def test_rewinding_a_loaded_scene_replays_the_same_noise(tmp_path):
    """A langevin run saved mid-way: after loading, W (rewind) replays the run from its drops
    with the same random stream, bit for bit the run an unsaved world replays."""
    w = World(get_potential("double_well"), Rule("langevin", temperature=0.8, dt=0.03), seed=9)
    w.drop_random(20)
    w.tick(150)
    w2, _ = load_scene(save_scene(w, tmp_path / "hot.toml"))
    fresh = World(get_potential("double_well"), Rule("langevin", temperature=0.8, dt=0.03), seed=9)
    fresh.drop_random(20)
    fresh.tick(150)  # the reference: the same run, never saved
    for world in (w, w2, fresh):
        world.rewind()
        world.tick(150)
    assert w2.particles.pos.tobytes() == fresh.particles.pos.tobytes()
    assert w.particles.pos.tobytes() == fresh.particles.pos.tobytes()


def test_a_run_rng_of_another_generator_is_refused(tmp_path):
    w = World(get_potential("bowl"), Rule("langevin", temperature=1.0), seed=4)
    w.drop(np.array([[1.0, 0.0]]))
    w.tick(3)
    text = (tmp_path / "a.toml")
    save_scene(w, text)
    body = text.read_text().replace('[state.run_rng]\nbit_generator = "PCG64"',
                                    '[state.run_rng]\nbit_generator = "SFC64"')
    assert "SFC64" in body
    text.write_text(body)
    with pytest.raises(SceneError, match=r"run_rng"):
        load_scene(text)


def test_every_particle_array_has_a_scene_key():
    assert set(PARTICLE_KEYS) == set(FIELDS)  # a new per-particle array must be saved too


@pytest.mark.parametrize("gen", RNG_GENERATORS)
def test_any_numpy_bit_generator_round_trips(gen, tmp_path):
    w = World(get_potential("bowl"), Rule("langevin", temperature=1.0), seed=4)
    w.rng = np.random.Generator(getattr(np.random, gen)(123))
    w.rng.random(7)
    w.drop(np.array([[1.0, 0.0]]))
    w.tick(5)
    w2, _ = load_scene(save_scene(w, tmp_path / "g.toml"))
    assert type(w2.rng.bit_generator).__name__ == gen
    w.tick(20)
    w2.tick(20)
    assert w.particles.pos.tobytes() == w2.particles.pos.tobytes()
    assert w.rng.random() == w2.rng.random()


def test_formula_landscape_round_trip(tmp_path):
    pot = expression_potential("x**2 + 3*sin(y)**2 + 0.1*x*y", view=(-2, 2, -2, 2))
    w = World(pot, Rule("momentum", lr=0.01), seed=2)
    w.drop(np.array([[1.5, 1.0], [-1.0, 0.5]]))
    w.tick(50)
    path = save_scene(w, tmp_path / "f.toml", view=(-2.0, 2.0, -2.0, 2.0), instruments={"field": True},
                        caption='say "hi"\\ then\nrun', paused=True)
    text = path.read_text()
    assert 'formula = "x**2 + 3*sin(y)**2 + 0.1*x*y"' in text
    w2, info = load_scene(path)
    assert info.view == (-2.0, 2.0, -2.0, 2.0) and info.instruments == {"field": True}
    assert info.caption == 'say "hi"\\ then\nrun' and info.paused
    w.tick(100)
    w2.tick(100)
    assert_same_world(w, w2)


def test_fresh_scene_omits_default_arrays():
    w = World(get_potential("bowl"), Rule("gd", lr=0.1))
    w.drop(np.array([[1.0, 2.0]]))
    text = dumps(world_to_scene(w))
    assert "pos = [[1.0, 2.0]]" in text
    for k in ("vel", "origin", "prev", "buf_a", "steps", "energy0", "status", "rule ="):
        assert f"\n{k}" not in text, k


def test_minimal_hand_written_scene_uses_defaults():
    w, info = scene_to_world(loads('[landscape]\npotential = "rosenbrock"\n[rule]\nname = "adam"\n'))
    assert w.n == 0 and w.rule == Rule("adam") and w.seed == 0 and w.tick_count == 0
    assert info == SceneInfo(view=get_potential("rosenbrock").view)


def test_hand_written_scene_equals_the_world_built_by_commands():
    """Defaults (origin = pos, origin_vel = vel, energy at drop, fresh buffers) are what
    World.drop gives; lanes and a scalar `rule` work."""
    text = """
[landscape]
potential = "double_well"
[rule]
name = "gd"
lr = 0.05
[[lanes]]
name = "newton"
mass = 2.0
friction = 0.1
dt = 0.02
[particles]
pos = [[-1.5, 0.5], [1, -1]]
vel = [[0.5, 0.0], [0, 2]]
rule = 1
"""
    w, _ = scene_to_world(loads(text))
    ref = World(get_potential("double_well"), Rule("gd", lr=0.05))
    ref.add_rule(Rule("newton", mass=2.0, friction=0.1, dt=0.02))
    ref.drop(np.array([[-1.5, 0.5], [1.0, -1.0]]), vel=np.array([[0.5, 0.0], [0.0, 2.0]]), rule_id=1)
    assert_same_world(ref, w)
    ref.tick(50)
    w.tick(50)
    assert_same_world(ref, w)


def test_the_docstring_example_is_a_valid_scene():
    doc = __doc__
    block = doc[doc.index("    [scene]"): doc.index("Every mistake")]
    text = "\n".join(line[4:] for line in block.splitlines())
    w, info = scene_to_world(loads(text))
    assert w.n == 200 and [r.name for r in w.rules] == ["gd", "momentum"]
    assert info.paused and info.instruments == {"race": True, "trails": True}


def test_random_cloud_is_seeded_and_inside_area():
    text = ('[landscape]\npotential = "bowl"\n[rule]\nname = "gd"\n[[lanes]]\nname = "adam"\n'
            "[particles]\nrandom = 50\nseed = 3\narea = [1.0, 2.0, -1.0, 0.0]\nrule = 1\n")
    a, _ = scene_to_world(loads(text))
    b, _ = scene_to_world(loads(text))
    p = a.particles.pos
    assert a.n == 50 and np.array_equal(p, b.particles.pos)
    assert (p[:, 0] >= 1).all() and (p[:, 0] <= 2).all() and (p[:, 1] >= -1).all() and (p[:, 1] <= 0).all()
    assert (a.particles.rule == 1).all()
    c, _ = scene_to_world(loads(text.replace("seed = 3", "seed = 4")))
    assert not np.array_equal(p, c.particles.pos)


def test_ten_thousand_particles_file_size(tmp_path):
    w = World(get_potential("himmelblau"), Rule("langevin", dt=0.01), seed=1)
    w.drop_random(10_000)
    w.tick(3)
    path = save_scene(w, tmp_path / "big.toml")
    size = path.stat().st_size
    assert size < 400 * 10_000, size  # every array of every particle, in readable text
    w2, _ = load_scene(path)
    assert_same_world(w, w2)


# -- the TOML writer ----------------------------------------------------------------------------

def test_dumps_loads_round_trip_is_exact():
    rng = np.random.default_rng(3)
    floats = [0.1, -0.0, 5e-324, 1.7976931348623157e308, 1e-300, 1 / 3, 2.0**60, 123456789.0]
    floats += (rng.standard_normal(200) * 10.0 ** rng.integers(-30, 30, 200)).tolist()
    doc = {
        "scene": {"title": 'a "quote", a \\ back\tslash, é ünï 🌋, \x00\x1f\x7f', "n": -(2**63), "ok": True},
        "data": {"floats": floats, "pairs": [[f, -f] for f in floats[:50]], "empty": [], "ints": list(range(300))},
        "lanes": [{"name": "gd", "lr": 0.5}, {"name": "adam", "sub": {"k": 1}}],
        "weird key": {"a.b": 1, "": 2},
    }
    text = dumps(doc)
    assert loads(text) == doc
    back = loads(text)["data"]["floats"]
    assert [math.copysign(1, f) for f in back] == [math.copysign(1, f) for f in floats]


def test_dumps_refuses_nan_and_inf():
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match="nan or inf"):
            dumps({"t": {"x": [1.0, bad]}})


def test_saving_sanitizes_non_finite_buffers(tmp_path):
    w = World(get_potential("bowl"), Rule("adagrad", lr=0.1))
    w.drop(np.array([[1.0, 1.0], [2.0, 2.0]]))
    w.tick(2)
    w.particles.buf_b[0] = np.inf  # an overflowed accumulator
    w.particles.energy0[1] = np.nan
    text = save_scene(w, tmp_path / "s.toml").read_text()
    assert "nan" not in text and "inf" not in text
    load_scene(tmp_path / "s.toml")


# -- presets: they load, run and do what their caption promises ---------------------------------

def load(name: str) -> tuple[World, SceneInfo]:
    return load_scene(find_scene(name))


def test_presets_are_listed_in_teaching_order():
    names = [n for n, _ in list_presets()]
    assert names[: len(LESSONS)] == list(LESSONS)
    assert all(title for _, title in list_presets())


@pytest.mark.parametrize("name", LESSONS)
def test_every_preset_loads_and_runs_headless(name):
    w, info = load(name)
    assert info.title and info.paused and "Press Space to see" in info.caption and "?" in info.caption
    assert w.n > 0
    x0, x1, y0, y1 = info.view
    p = w.particles.pos
    assert ((p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)).all()
    w.tick(300)
    assert w.counts() == (w.n, 0)
    assert np.isfinite(w.particles.pos).all()


def test_find_scene_by_name_file_name_and_path(tmp_path):
    p = find_scene("heat_escape")
    assert p.name == "heat_escape.toml" and p.is_file()
    assert find_scene("heat_escape.toml") == p
    assert find_scene(str(p)) == p
    mine = tmp_path / "mine.toml"
    mine.write_text("")
    assert find_scene(mine) == mine
    with pytest.raises(SceneError, match=r"no scene file or preset named 'heat_escap'.*did you mean 'heat_escape'.*presets: ravine_gd_vs_momentum"):
        find_scene("heat_escap")


def test_ravine_momentum_beats_gd():
    w, _ = load("ravine_gd_vs_momentum")
    assert [r.name for r in w.rules] == ["gd", "momentum"] and w.rules[0].lr == w.rules[1].lr
    w.tick(150)
    gd, mom = w.values()
    assert gd > 1e-3  # still crawling along the floor
    assert mom < gd / 100
    # and momentum overshot the minimum on its way (x changed sign), gd never did
    w, _ = load("ravine_gd_vs_momentum")
    xs = []
    for _ in range(150):
        w.tick()
        xs.append(w.particles.pos[:, 0].copy())
    xs = np.array(xs)
    assert (xs[:, 0] < 0).all() and (xs[:, 1] > 0).any()


def test_momentum_is_newton_paths_coincide():
    w, _ = load("momentum_is_newton")
    n = w.n // 2
    worst = 0.0
    for _ in range(600):
        w.tick()
        p = w.particles.pos
        worst = max(worst, float(np.abs(p[:n] - p[n:]).max()))
    assert worst < 1e-9
    assert np.abs(w.particles.pos[:n] - w.particles.pos[0]).max() > 1  # they went different places


def test_overdamped_limit_light_newton_tracks_gd():
    w, _ = load("overdamped_limit")
    r = w.rules
    assert r[0].name == "gd" and all(x.name == "newton" for x in r[1:])
    assert all(math.isclose(r[0].lr, x.dt / x.friction) for x in r[1:])
    dev = np.zeros(4)
    for _ in range(600):
        w.tick()
        dev = np.maximum(dev, np.linalg.norm(w.particles.pos - w.particles.pos[0], axis=1))
    heavy, medium, light = dev[1:]
    assert light < 0.1 < medium < heavy and heavy > 0.5


def test_adam_wins_the_rosenbrock_valley():
    w, _ = load("adam_rosenbrock")
    assert [r.name for r in w.rules] == ["adam", "momentum", "gd"]
    w.tick(800)
    adam, mom, gd = np.linalg.norm(w.particles.pos - [1.0, 1.0], axis=1)
    assert adam < 0.1 < mom < gd and gd > 1.0


def test_heat_lets_balls_escape_the_shallow_well():
    w, _ = load("heat_escape")
    pot = w.potential
    well = pot.minima[np.argmax(pot.minimum_values)]  # the shallowest minimum
    hot = np.array([w.rules[i].temperature > 0 for i in w.particles.rule])
    assert hot.sum() == 8 and (~hot).sum() == 8
    assert (np.linalg.norm(w.particles.pos - well, axis=1) < 0.35).all()
    left = np.zeros(w.n, dtype=bool)
    for _ in range(600):
        w.tick()
        left |= np.linalg.norm(w.particles.pos - well, axis=1) > 1.2
    assert left[hot].sum() >= 1  # at least one hot ball escaped (with this seed: most of them)
    assert not left[~hot].any()  # no cold ball did
    assert (np.linalg.norm(w.particles.pos[~hot] - well, axis=1) < 0.35).all()


def test_euler_gains_energy_verlet_keeps_it():
    w, _ = load("euler_vs_verlet")
    assert [r.integrator for r in w.rules] == ["euler", "symplectic", "verlet"]
    assert all(r.friction == 0 for r in w.rules)
    e0 = w.values() + w.kinetic()
    worst = np.zeros(3)
    for _ in range(600):
        w.tick()
        worst = np.maximum(worst, np.abs((w.values() + w.kinetic()) / e0 - 1))
    euler, symplectic, verlet = (w.values() + w.kinetic()) / e0
    assert euler > 3.0
    assert worst[1] < 0.01 and worst[2] < 0.01


def test_himmelblau_cloud_fills_all_four_basins():
    w, info = load("himmelblau_basins")
    assert info.instruments.get("basins") is True and w.n >= 100
    w.tick(600)
    d = np.linalg.norm(w.particles.pos[:, None, :] - w.potential.minima[None], axis=2)
    assert d.min(axis=1).max() < 1e-3
    assert len(w.potential.minima) == 4 and (np.bincount(d.argmin(axis=1), minlength=4) > 20).all()


# -- mistakes: one line naming the field and the problem ----------------------------------------

GOOD = """\
[scene]
title = "t"
[landscape]
potential = "bowl"
[rule]
name = "gd"
lr = 0.1
[particles]
pos = [[1.0, 2.0], [3.0, 4.0]]
"""

BAD = [
    ("lr = 0.1", "lr = -1", "scene.toml: [rule] lr must be > 0, got -1"),
    ("lr = 0.1", 'lr = "fast"', "scene.toml: [rule] lr must be a number, got 'fast'"),
    ("lr = 0.1", "lr = true", "[rule] lr must be a number, got true"),
    ("lr = 0.1", "beta = 1.5", "[rule] beta must be below 1, got 1.5"),
    ("lr = 0.1", "lrr = 0.1", "[rule] unknown key 'lrr' (did you mean 'lr'?)"),
    ('name = "gd"', 'name = "adamz"', "[rule] unknown rule 'adamz'"),
    ('name = "gd"', "", "[rule] missing required key 'name'"),
    ('name = "gd"', 'name = "newton"\nintegrator = "rk4"', "[rule] integrator must be one of: verlet, symplectic, euler"),
    ('potential = "bowl"', 'potential = "rosenbrok"',
     "scene.toml: [landscape] unknown potential 'rosenbrok' (did you mean 'rosenbrock'?); choose one of: bowl, ravine"),
    ('potential = "bowl"', 'formula = "x + z"', "scene.toml: [landscape] formula: unknown name 'z' at column 5"),
    ('potential = "bowl"', 'formula = "x**"', "[landscape] formula: formula ends unexpectedly at column 4"),
    ('potential = "bowl"', 'potential = "bowl"\nformula = "x"', "[landscape] give exactly one of potential"),
    ('potential = "bowl"', "", "[landscape] give exactly one of potential"),
    ('potential = "bowl"', 'potential = "bowl"\nview = [1, 0, 0, 1]', "[landscape] view needs xmin < xmax"),
    ('potential = "bowl"', 'potential = "bowl"\nview = [0, 1, 0]', "[landscape] view must be [xmin, xmax, ymin, ymax]"),
    ("[rule]", "[rules]", "unknown table [rules] (did you mean 'rule'?)"),
    ('[rule]\nname = "gd"\nlr = 0.1\n', "", "scene.toml: missing table [rule]"),
    ('title = "t"', "title = 3", "[scene] title must be a string in quotes, got 3"),
    ('title = "t"', 'paused = "yes"', "[scene] paused must be true or false, got 'yes'"),
    ('title = "t"', "format = 9", "[scene] format 9 is from a newer Newton Descent"),
    ("pos = [[1.0, 2.0], [3.0, 4.0]]", "pos = [1.0, 2.0]", "scene.toml: [particles] pos must be a list of [x, y] pairs"),
    ("pos = [[1.0, 2.0], [3.0, 4.0]]", "pos = [[1.0, 2.0], [3.0]]", "[particles] pos must be a list of [x, y] pairs (entry 2 is [3.0])"),
    ("pos = [[1.0, 2.0], [3.0, 4.0]]", 'pos = [[1.0, "a"]]', "[particles] pos must be a list of [x, y] pairs"),
    ("pos = [[1.0, 2.0], [3.0, 4.0]]", "pos = [[1.0, nan]]", "[particles] pos must be finite numbers"),
    ("[3.0, 4.0]]", "[3.0, 4.0]]\nvel = [[0.0, 0.0]]", "scene.toml: [particles] vel has 1 entries but pos has 2"),
    ("[3.0, 4.0]]", "[3.0, 4.0]]\nsteps = [1, 2, 3]", "[particles] steps has 3 entries but pos has 2"),
    ("[3.0, 4.0]]", "[3.0, 4.0]]\nsteps = [1.5, 2]", "[particles] steps must be a list of integers (entry 1 is 1.5)"),
    ("[3.0, 4.0]]", "[3.0, 4.0]]\nrule = [0, 1]", "[particles] rule 1 is out of range: this scene has 1 rule(s)"),
    ("[3.0, 4.0]]", '[3.0, 4.0]]\nstatus = ["alive", "dead"]', '[particles] status must be a list of "alive" / "diverged" / "undefined" (entry 2'),
    ("[3.0, 4.0]]", "[3.0, 4.0]]\nrandom = 3", "[particles] give either random = K or pos = [...], not both"),
    ("[3.0, 4.0]]", "[3.0, 4.0]]\ncolour = 3", "[particles] unknown key 'colour'"),
    ("pos = [[1.0, 2.0], [3.0, 4.0]]", "random = -2", "[particles] random must be >= 0, got -2"),
    ("[particles]", "[instruments]\ntrails = 1\n[particles]", "[instruments] trails must be true or false, got 1"),
    ("[particles]", '[[lanes]]\nname = "adam"\nlr = 0\n[particles]', "[[lanes]] #1 lr must be > 0, got 0"),
    ("[scene]", "lanes = 3\n[scene]", "scene.toml: [[lanes]] must be tables"),
    ('[scene]\ntitle = "t"\n', "scene = 3\n", "scene.toml: [scene] must be a table"),
    ("[particles]", '[state]\ntick_count = -1\n[particles]', "[state] tick_count must be >= 0, got -1"),
    ("[particles]", '[state.rng]\nbit_generator = "Lehmer"\n[particles]', "[state] rng bit_generator must be one of"),
    ("[particles]", '[state.rng]\nbit_generator = "PCG64"\nstate = 3\n[particles]', "[state] rng: not a valid PCG64 state"),
    ("lr = 0.1", "lr = 0.1 0.2", "scene.toml: line 7: "),
    ('title = "t"', 'title = "t', "scene.toml: line 2: "),
    ("[rule]", "[rule", "scene.toml: line 5: "),
]


@pytest.mark.parametrize("old,new,message", BAD, ids=[m[:48] for _, _, m in BAD])
def test_mistakes_give_one_line_naming_the_field(old, new, message, tmp_path):
    assert old in GOOD
    path = tmp_path / "scene.toml"
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(SceneError) as e:
        load_scene(path)
    text = str(e.value)
    assert message in text, text
    assert "\n" not in text
    if not message.startswith("scene.toml"):
        assert text.startswith("scene.toml: ")


def test_the_good_scene_itself_loads(tmp_path):
    (tmp_path / "scene.toml").write_text(GOOD)
    w, info = load_scene(tmp_path / "scene.toml")
    assert w.n == 2 and info.title == "t"


def test_unreadable_files(tmp_path):
    with pytest.raises(SceneError, match=r"^nope.toml: cannot read: No such file"):
        load_scene(tmp_path / "nope.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(GOOD.replace('"t"', '"caf\xe9"').encode("latin-1"))
    with pytest.raises(SceneError, match=r"^latin1.toml: not UTF-8 text"):
        load_scene(bad)


# -- atomic save ------------------------------------------------------------------------------

def small_world() -> World:
    w = World(get_potential("bowl"), Rule("gd", lr=0.1))
    w.drop(np.array([[1.0, 2.0]]))
    return w


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "keep.toml")


@pytest.mark.parametrize("fail_at", ["fsync", "replace", "write"])
def test_failed_save_keeps_the_old_file_and_no_temp(fail_at, tmp_path, monkeypatch):
    path = tmp_path / "keep.toml"
    save_scene(small_world(), path, title="old")
    old = path.read_bytes()
    w = small_world()
    w.tick(3)

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    if fail_at == "write":
        real = os.fdopen

        class Half:
            def __init__(self, f):
                self.f = f

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.f.close()

            def write(self, data):
                self.f.write(data[: len(data) // 2])
                boom()

            def __getattr__(self, name):
                return getattr(self.f, name)

        monkeypatch.setattr(os, "fdopen", lambda fd, mode: Half(real(fd, mode)))
    else:
        monkeypatch.setattr(os, fail_at, boom)
    with pytest.raises(SceneError, match=r"^keep.toml: cannot save: No space left on device$"):
        save_scene(w, path, title="new")
    assert path.read_bytes() == old
    assert leftovers(tmp_path) == []


def test_save_into_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(SceneError, match=r"^x.toml: cannot save: No such file or directory$"):
        save_scene(small_world(), tmp_path / "missing" / "x.toml")


def test_unwritable_value_leaves_old_file(tmp_path):
    path = tmp_path / "keep.toml"
    save_scene(small_world(), path)
    old = path.read_bytes()
    with pytest.raises(SceneError, match=r"^keep.toml: cannot save: .*surrogate"):
        save_scene(small_world(), path, title="bad \udc80")
    assert path.read_bytes() == old and leftovers(tmp_path) == []


def test_saved_file_is_readable_text_with_permissions(tmp_path):
    path = save_scene(small_world(), tmp_path / "s.toml", title="Tëst")
    assert path.stat().st_mode & 0o777 == 0o644
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Newton Descent scene") and 'title = "Tëst"' in text


# -- lessons of the maps of why --------------------------------------------------------------------

def test_condition_number_lesson_measures_the_predicted_rates():
    """Best gd and best heavy ball for kappa = 25: the measured contraction per step of each
    ball's distance to the minimum is 0.923 and 0.667, as the caption says."""
    from sim.maps.plane import optimum

    w, info = load("condition_number")
    assert "0.923" in info.caption and "0.667" in info.caption and "Press Space to see" in info.caption
    gd, hb = w.rules
    lams = (25.0, 1.0)
    assert gd.lr == pytest.approx(optimum("gd", lams).p1)
    best = optimum("momentum", lams)
    assert (hb.lr, hb.beta) == (pytest.approx(best.p1), pytest.approx(best.p2))
    d = []
    for _ in range(60):
        w.tick()
        d.append(np.hypot(*w.particles.pos.T))
    d = np.array(d)  # [ticks, 2]
    rate_gd = (d[59, 0] / d[29, 0]) ** (1 / 30)
    rate_hb = (d[59, 1] / d[39, 1]) ** (1 / 20)
    assert round(rate_gd, 3) == 0.923
    assert rate_hb == pytest.approx(2 / 3, rel=0.03)  # critically damped: k rho^k, a little above
    assert d[59, 1] < 1e-6 * d[59, 0]


def test_ravine_caption_does_not_credit_momentum_for_a_shared_lr():
    _, info = load("ravine_gd_vs_momentum")
    assert "1/(1−β)" in info.caption and "condition_number" in info.caption


def test_energy_never_rises_lesson():
    """The loss V climbs again and again; kinetic + potential energy never rises, and friction's
    ledger accounts for what it lost."""
    from sim.instruments.ledger import ledger_total

    w, info = load("energy_never_rises")
    assert info.instruments.get("ledger") is True and "Press Space to see" in info.caption
    v, e = [], []
    for _ in range(4000):
        w.tick()
        t = ledger_total(w)
        v.append(t["potential"])
        e.append(t["kinetic"] + t["potential"])
    v, e = np.array(v), np.array(e)
    climbs = np.diff(v) > 0
    assert climbs.sum() > 500  # the loss goes up often ...
    runs = np.maximum.accumulate(v[::-1])[::-1] - v  # how far V will still rise above each point
    assert runs.max() > 1.0  # ... and by a lot (up the other well's wall)
    assert np.max(e - np.minimum.accumulate(e)) <= 1e-9 * (v.max() - v.min())  # energy never
    assert e[-1] < 1e-3 * e[0]
    t = ledger_total(w)
    assert abs(t["drift"]) < 1e-3 * t["initial"]


def _barrier(pot, m, xs, ys):
    """Lowest level at which the sublevel set around minimum m reaches lower ground (a flood
    fill on a grid, bisected on the level): the escape barrier, found without the dynamics."""
    v = pot.value_grid(xs, ys)
    ci, cj = int(np.argmin(abs(xs - m[0]))), int(np.argmin(abs(ys - m[1])))
    v0 = float(pot.value(np.asarray(m).reshape(1, 2))[0])

    def leaks(level):
        inside = v <= level
        seen = np.zeros_like(inside)
        seen[ci, cj] = True
        while True:
            new = seen.copy()
            new[1:] |= seen[:-1]
            new[:-1] |= seen[1:]
            new[:, 1:] |= seen[:, :-1]
            new[:, :-1] |= seen[:, 1:]
            new &= inside
            if (new == seen).all():
                return bool((v[seen] < v0 - 1e-3).any())
            seen = new

    lo, hi = v0, v0 + 3.0
    for _ in range(22):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if leaks(mid) else (mid, hi)
    return hi - v0


def test_escape_rate_lesson_follows_kramers():
    """Three temperatures: the measured escape rates k(T) from the shallow well fall on
    ln k = const - dV / T with dV the barrier found on a grid (Kramers), within 25%."""
    w, info = load("escape_rate")
    pot = w.potential
    assert [r.temperature for r in w.rules] == [0.10, 0.13, 0.17]
    m = pot.minima[int(np.argmin(np.hypot(*(pot.minima - [-0.95, 1.54]).T)))]
    dv = _barrier(pot, m, np.linspace(-4, 4, 321), np.linspace(-3, 3, 241))
    assert dv == pytest.approx(0.53, abs=0.02)  # the caption's number
    rates = []
    for i, rule in enumerate(w.rules):
        world = World(pot, rule, seed=20 + i)
        world.drop(np.repeat(m[None], 150, axis=0))
        t, frac = [], []
        for _ in range(60):
            world.tick(100)
            t.append(world.time)
            frac.append(float((np.hypot(*(world.particles.pos - m).T) < 0.6).mean()))
        t, frac = np.array(t), np.array(frac)
        use = (t >= 15) & (frac >= 0.08) & (frac <= 0.95)
        assert use.sum() >= 5
        rates.append(-np.polyfit(t[use], np.log(frac[use]), 1)[0])
    assert rates[0] < rates[1] < rates[2]
    slope = np.polyfit(1 / np.array([0.10, 0.13, 0.17]), np.log(rates), 1)[0]
    print(f"escape rates {rates}, fitted dV {-slope:.3f}, barrier {dv:.3f}")
    assert -slope == pytest.approx(dv, rel=0.25)


def test_adam_never_settles_lesson():
    """Adam at its fixed lr keeps wandering near the minimum (median distance ~1e-3, bursts
    over 10x that) while momentum converges to rounding; the same Adam on the cosine schedule
    the caption names settles far below the fixed-lr ball's wandering by the schedule's end."""
    w, info = load("adam_never_settles")
    assert [r.name for r in w.rules] == ["adam", "momentum", "adam"] and "Press Space" in info.caption
    assert "Predict" in info.caption and "cosine" in info.caption
    assert w.rules[0].schedule == "constant" and w.rules[2].schedule == "cosine:6000"
    assert w.rules[2].lr == w.rules[0].lr  # the same Adam but for the schedule
    d = []
    for _ in range(600):
        w.tick(10)
        d.append(np.hypot(*(w.particles.pos - [1.0, 1.0]).T))
    d = np.array(d)  # [samples, 3] over ticks 10 .. 6,000
    adam, mom, cos = d[450:, 0], d[450:, 1], d[450:, 2]  # ticks 4,510 .. 6,000
    assert 2e-4 < np.median(adam) < 1e-2
    assert adam.max() > 10 * np.median(adam)  # bursts
    assert mom.max() < 1e-8  # momentum has settled
    assert cos[-50:].max() < 1e-6 * np.median(adam)  # the scheduled Adam has settled
    assert adam[-50:].min() > 1e3 * cos[-50:].max()  # and the fixed one has not
    assert np.median(d[100:150, 2]) > 1e-6  # not settled early: the schedule's end did it
