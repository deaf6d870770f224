"""A scene saved from a data landscape read from a CSV file reopens with the world's points
even when the file changed on disk after it was read: the file is named (with its SHA-256
taken at save time) only while it still holds those points, else the points are inline."""
import hashlib

import numpy as np

from sim.data import make_landscape
from sim.data.sets import read_csv
from sim.rules.dynamics import Rule
from sim.scene.io import load_scene, save_scene
from sim.core.world import World

ROWS = [(0.0, 1.0), (1.0, 2.9), (2.0, 5.1), (3.0, 7.2), (4.0, 8.8)]


def world_on(path) -> World:
    world = World(make_landscape("linreg", read_csv(path)), Rule("gd", lr=0.01))
    world.drop(np.array([[0.5, 0.5], [-1.0, 2.0]]))
    return world


def points(world) -> np.ndarray:
    d = world.potential.data
    return np.column_stack([d.x[:, 0], d.y])


def test_a_file_changed_after_loading_saves_the_points_inline_and_reopens(tmp_path):
    csv = tmp_path / "pts.csv"
    csv.write_text("x,y\n" + "".join(f"{x},{y}\n" for x, y in ROWS))
    world = world_on(csv)
    csv.write_text("x,y\n0,100\n1,-5\n2,7\n")  # another data set under the same name
    scene = save_scene(world, tmp_path / "s.toml")
    again, _ = load_scene(scene)  # used to fail: "pts.csv has changed since the scene was saved"
    assert np.array_equal(points(again), np.array(ROWS))
    assert np.array_equal(again.particles.pos[: again.n], [[0.5, 0.5], [-1.0, 2.0]])


def test_a_file_rewritten_with_the_same_numbers_is_named_with_its_new_digest(tmp_path):
    csv = tmp_path / "pts.csv"
    csv.write_text("x,y\n" + "".join(f"{x},{y}\n" for x, y in ROWS))
    world = world_on(csv)
    csv.write_text("x , y\r\n" + "".join(f"{x:g} , {y:.2f}\r\n" for x, y in ROWS))  # same numbers
    scene = save_scene(world, tmp_path / "s.toml")
    text = scene.read_text()
    assert hashlib.sha256(csv.read_bytes()).hexdigest() in text and str(csv.resolve()) in text
    again, _ = load_scene(scene)
    assert np.array_equal(points(again), np.array(ROWS))


def test_a_file_removed_after_loading_saves_the_points_inline(tmp_path):
    csv = tmp_path / "pts.csv"
    csv.write_text("x,y\n" + "".join(f"{x},{y}\n" for x, y in ROWS))
    world = world_on(csv)
    csv.unlink()
    again, _ = load_scene(save_scene(world, tmp_path / "s.toml"))
    assert np.array_equal(points(again), np.array(ROWS))
