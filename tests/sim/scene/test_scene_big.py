"""Big scenes: every scene the program writes it reads back (up to the ball limit), fast;
Ctrl+S writes in the background from the world at the key press; sizes and counts are
checked before any array is parsed."""
from __future__ import annotations

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import numpy as np
import pytest

from sim.scene.schema import FAST_ARRAYS_FROM, MAX_LANES, MAX_SCENE_BYTES, PARTICLE_KEYS, SceneError
from sim.scene.io import load_scene, save_scene
from sim.scene.toml_text import loads
from sim.scene.decode import scene_to_world
import tomllib
from sim.scene import arrays as A
from sim.scene import save as scene_save
from sim.rules.dynamics import Rule
from sim.core.particles import DIVERGED, MAX_PARTICLES
from sim.data.catalog import get_potential
from sim.core.world import World
from tests.support.worlds import assert_same_world


def busy_world(n: int, seed: int = 5) -> World:
    """n balls on two rules, some diverged, every optimizer buffer in use."""
    w = World(get_potential("himmelblau"), Rule("adam", lr=0.05), seed=seed)
    w.add_rule(Rule("newton", friction=0.3, dt=0.01))
    w.drop_random(n // 2)
    rng = np.random.default_rng(seed)
    w.drop(rng.uniform(-4, 4, (n - n // 2, 2)), vel=rng.normal(size=(n - n // 2, 2)), rule_id=1)
    w.drop(np.zeros((n // 97, 2)), vel=np.full((n // 97, 2), 1e9), rule_id=1)  # they diverge
    w.tick(3)
    assert w.counts()[1] == n // 97
    return w


def worst_case_world(n: int) -> World:
    """Every per-particle array differs from its default and every float takes 24 characters
    (17 digits, a sign, a point and a 3-digit exponent): the most bytes a ball can take."""
    w = World(get_potential("bowl"), Rule("adam", lr=0.05), seed=1)
    w.add_rule(Rule("momentum", lr=0.01))
    w.drop(np.full((n, 2), -1.2345678901234568e-300), rule_id=1)
    p = w.particles
    for i, k in enumerate(("vel", "origin", "origin_vel", "prev", "grad", "buf_a", "buf_b",
                           "energy0", "dissipated")):
        getattr(p, k)[:] = -1.2345678901234568e-300 * (1 + (i + 1) / 16)
    p.steps[:] = 10**15
    p.status[:] = DIVERGED
    p.rule[1::2] = 0
    return w


def test_the_largest_scene_the_program_writes_is_one_it_reads(tmp_path):
    n = 2000
    path = save_scene(worst_case_world(n), tmp_path / "worst.toml")
    text = path.read_text()
    per_ball = len(text.encode()) / n
    assert len(loads(text)["particles"]) == len(PARTICLE_KEYS)  # every array written
    assert text.count("e-300") == 18 * n
    assert MAX_PARTICLES * per_ball + 4096 <= MAX_SCENE_BYTES


def test_a_big_scene_reads_back_exactly_through_the_fast_reader(tmp_path):
    w = busy_world(12_000)
    path = save_scene(w, tmp_path / "big.toml")
    data = path.read_bytes()
    assert len(data) > FAST_ARRAYS_FROM
    rest, arrays = A.extract(data)
    assert len(rest) < 2000  # everything big was read by numpy
    reference = tomllib.loads(data.decode())["particles"]  # an independent parser
    assert set(arrays) == set(reference)
    for k, arr in arrays.items():
        want = reference[k]
        if k == "status":
            assert [A.STATUS_WORDS[i] for i in arr] == want
        else:
            assert arr.tobytes() == np.array(want, dtype=arr.dtype).tobytes(), k
    back, _ = load_scene(path)
    assert_same_world(w, back)
    w.tick(5)
    back.tick(5)
    assert_same_world(w, back)


@pytest.mark.parametrize("edit", [
    lambda t: t.replace("],\n  [", "], [", 50),  # rows joined on one line
    lambda t: t.replace("],\n  [", "],  # note\n  [", 1),  # a comment inside
    lambda t: t.replace("\n[state]", "\nextra = 1\n[state]", 1),  # a scalar key after the arrays
])
def test_hand_edits_of_a_big_file_read_like_tomllib(edit, tmp_path):
    w = busy_world(12_000)
    text = edit(save_scene(w, tmp_path / "a.toml").read_text())
    (tmp_path / "b.toml").write_text(text)
    try:
        ref = scene_to_world(tomllib.loads(text))[0]
    except SceneError as e:
        with pytest.raises(SceneError, match=str(e)[:30].replace("[", r"\[").replace("]", r"\]")):
            load_scene(tmp_path / "b.toml")
        return
    assert_same_world(load_scene(tmp_path / "b.toml")[0], ref)


@pytest.mark.parametrize("bad, msg", [
    ("[1.0, 2.0, 3.0]", "entry"),  # three numbers in a pair
    ("[1.0 2.0]", "line|pairs"),  # no comma
    ("[1.0, 1e999]", "finite"),
])
def test_a_broken_row_in_a_big_file_is_a_scene_error(bad, msg, tmp_path):
    w = busy_world(12_000)
    text = save_scene(w, tmp_path / "a.toml").read_text()
    first = text.index("pos = [\n  [") + len("pos = [\n  ")
    end = text.index("]", first) + 1
    (tmp_path / "b.toml").write_text(text[:first] + bad + text[end:])
    with pytest.raises(SceneError, match=msg):
        load_scene(tmp_path / "b.toml")


def test_too_many_rows_are_refused_before_any_number_is_parsed(tmp_path, monkeypatch):
    rows = MAX_PARTICLES + 1
    body = "  [1.5, -2.25],\n" * rows
    path = tmp_path / "huge.toml"
    with open(path, "w") as f:
        f.write('[landscape]\npotential = "bowl"\n[rule]\nname = "gd"\n[particles]\npos = [\n')
        f.write(body)
        f.write("]\n")
    del body
    parsed = []
    real = np.fromstring
    monkeypatch.setattr(A.np, "fromstring", lambda *a, **k: parsed.append(1) or real(*a, **k))
    with pytest.raises(SceneError, match=f"at most {MAX_PARTICLES:,} particles, got {rows:,}"):
        load_scene(path)
    assert not parsed


def test_a_background_save_writes_the_world_of_the_key_press(tmp_path):
    w = busy_world(3000)
    save_scene(w, tmp_path / "now.toml")
    job = scene_save.SaveJob(w, tmp_path / "bg.toml", threaded=True, title="at the press")
    w.tick(7)  # the world goes on while the thread writes
    w.drop(np.zeros((5, 2)))
    assert job.wait(120) and job.error is None and job.progress == 1.0
    a = (tmp_path / "now.toml").read_text()
    b = job.path.read_text()
    assert b == a.replace('title = ""', 'title = "at the press"')
    assert load_scene(job.path)[0].tick_count == 3


def test_a_background_save_that_fails_says_why(tmp_path):
    job = scene_save.SaveJob(busy_world(100), tmp_path / "missing" / "x.toml", threaded=True)
    assert job.wait(60)
    assert job.path is None and "cannot save" in job.error


def test_a_big_file_the_fast_reader_cannot_take_is_refused_before_the_toml_parser(tmp_path, monkeypatch):
    rows = ", ".join(["[1.2345678901234567, -2.2345678901234567]"] * 600) + ",  # a comment\n"
    path = tmp_path / "odd.toml"
    with open(path, "w") as f:
        f.write('[landscape]\npotential = "bowl"\n[rule]\nname = "gd"\n[particles]\npos = [\n')
        for _ in range(1340):  # 33 MiB (800,000 rows) in a layout the fast reader leaves alone
            f.write(rows)
        f.write("]\n")
    parsed = []
    monkeypatch.setattr(tomllib, "loads", lambda *a: parsed.append(1))
    with pytest.raises(SceneError, match="MiB of TOML"):
        load_scene(path)
    assert not parsed


def test_too_many_lanes_are_refused(tmp_path):
    lanes = '[[lanes]]\nname = "gd"\n' * (MAX_LANES + 1)
    (tmp_path / "l.toml").write_text('[landscape]\npotential = "bowl"\n[rule]\nname = "gd"\n' + lanes)
    with pytest.raises(SceneError, match=f"at most {MAX_LANES:,}, got {MAX_LANES + 1:,}"):
        load_scene(tmp_path / "l.toml")
