"""One ball limit, said once (sim.core.particles.MAX_PARTICLES): the command line, the window and
scenes all hold exactly that many balls and refuse one more; step counters cannot wrap."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.runtime import balls
from sim.core import particles
from sim.core.particles import MAX_PARTICLES
from sim.scene.schema import SceneError
from sim.scene.io import load_scene, save_scene
from sim.rules.dynamics import Rule
from sim.data.catalog import get_potential
from sim.core.world import World
from tests.support.worlds import assert_same_world

ROOT = Path(__file__).resolve().parents[3]
LIMIT = 60


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setattr(particles, "MAX_PARTICLES", LIMIT)
    monkeypatch.setattr("sim.scene.decode_particles.MAX_PARTICLES", LIMIT)


def scene_text(n: int, steps: int = 0) -> str:
    rows = ", ".join(f"[{0.01 * i}, -0.5]" for i in range(n))
    extra = f"\nsteps = [{', '.join([str(steps)] * n)}]" if steps else ""
    return f'[landscape]\npotential = "bowl"\n[rule]\nname = "adam"\n[particles]\npos = [{rows}]{extra}\n'


def test_a_scene_of_exactly_the_limit_loads_and_one_more_is_refused(small_limit, tmp_path):
    (tmp_path / "full.toml").write_text(scene_text(LIMIT))
    world, _ = load_scene(tmp_path / "full.toml")
    assert world.n == LIMIT
    (tmp_path / "over.toml").write_text(scene_text(LIMIT + 1))
    with pytest.raises(SceneError, match=f"at most {LIMIT:,} particles, got {LIMIT + 1:,}"):
        load_scene(tmp_path / "over.toml")
    with pytest.raises(particles.CapacityError):
        world.drop(np.zeros((1, 2)))


def test_the_window_the_command_line_and_scenes_share_one_limit():

    assert balls.WINDOW_MAX_BALLS == particles.MAX_PARTICLES == MAX_PARTICLES
    over = particles.MAX_PARTICLES + 1
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--headless", "--particles", str(over),
                        "--steps", "1", "--dump", "x.json"], capture_output=True, text=True, cwd=ROOT,
                       timeout=120)
    assert r.returncode == 2 and f"at most {particles.MAX_PARTICLES:,} balls" in r.stderr


def test_a_step_count_that_could_wrap_is_refused_and_one_at_the_limit_ticks_and_saves(tmp_path):
    top = particles.MAX_STEP_COUNT
    (tmp_path / "wrap.toml").write_text(scene_text(3, steps=2**63 - 1))
    with pytest.raises(SceneError, match="steps must be from 0 to 2\\*\\*53"):
        load_scene(tmp_path / "wrap.toml")
    (tmp_path / "top.toml").write_text(scene_text(3, steps=top))
    world, _ = load_scene(tmp_path / "top.toml")
    world.tick(5)
    assert (world.particles.steps == top + 5).all()
    back, _ = load_scene(save_scene(world, tmp_path / "again.toml"))  # re-saved: it reads
    assert (back.particles.steps == top).all()


def test_a_loaded_world_is_the_saved_one_through_load_particles(tmp_path):
    w = World(get_potential("himmelblau"), Rule("adam", lr=0.05), seed=2)
    w.add_rule(Rule("newton", friction=0.2))
    w.drop_random(40)
    w.drop(np.zeros((3, 2)), vel=np.full((3, 2), 1e9), rule_id=1)
    w.tick(4)
    back, _ = load_scene(save_scene(w, tmp_path / "w.toml"))
    assert_same_world(w, back)
