"""The network's retrain after a data edit, spread over frames: the same landscape bit for bit
as a retrain in one go, progress that only grows, a newer edit restarting the job, and the
window that keeps running the old landscape meanwhile."""
from __future__ import annotations

import itertools
import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from sim.data.mlp import MLPPlane  # noqa: E402
from sim.data.sets import builtin  # noqa: E402
from sim.data.edit import add_point  # noqa: E402
from sim.data.mlp import (  # noqa: E402
    HIDDEN,
    N_PARAMS,
    TRAIN_BETAS,
    TRAIN_EPS,
    TRAIN_LR,
    TRAIN_STEPS,
    loss_grad,
)
from sim.data.retrain import Retrain  # noqa: E402
from tests.support.apps import frame_at  # noqa: E402

FIELDS = ("theta", "d1", "d2", "path", "h", "out", "gram")
SIZE = (1280, 800)


def adam_reference(data, seed: int, l2: float, steps: int = TRAIN_STEPS):
    """The start-up training transcribed as one plain loop (Kingma & Ba's Adam, full batch)."""
    rng = np.random.default_rng(seed)
    theta = np.concatenate([rng.normal(0.0, np.sqrt(1.0 / 2.0), 2 * HIDDEN), np.zeros(HIDDEN),
                            rng.normal(0.0, np.sqrt(1.0 / HIDDEN), HIDDEN), [0.0]])
    m, v = np.zeros(N_PARAMS), np.zeros(N_PARAMS)
    b1, b2 = TRAIN_BETAS
    path = [theta.copy()]
    for k in range(1, steps + 1):
        g = loss_grad(theta, data.x, data.y, l2)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - TRAIN_LR * (m / (1 - b1**k)) / (np.sqrt(v / (1 - b2**k)) + TRAIN_EPS)
        if k % 10 == 0:
            path.append(theta.copy())
    return theta, np.array(path)


def same_landscape(a: MLPPlane, b: MLPPlane) -> bool:
    a.ensure()
    b.ensure()
    return (all(np.array_equal(getattr(a, f), getattr(b, f)) for f in FIELDS)
            and np.array_equal(a.minima, b.minima) and np.array_equal(a.minimum_values, b.minimum_values))


@pytest.mark.parametrize("plane", ["random", "pca"])
@pytest.mark.parametrize("chunks", [[1], [7, 50, 3], [TRAIN_STEPS - 1, 1], [333]])
def test_a_retrain_in_slices_is_bit_identical_to_one_go(plane, chunks):
    data = builtin("moons")
    sliced = MLPPlane(data, plane=plane)
    k = 0
    while sliced.progress < 1.0:
        sliced.advance(chunks[k % len(chunks)])
        k += 1
    assert k >= TRAIN_STEPS // max(chunks)
    whole = MLPPlane(data, plane=plane)
    assert same_landscape(sliced, whole)
    theta, _ = adam_reference(data, 0, sliced.l2)  # and both are the plain Adam loop's
    assert np.array_equal(sliced.theta, theta)


def test_progress_only_grows_and_ends_at_one():
    pot = MLPPlane(builtin("xor"))
    seen = [pot.progress]
    while seen[-1] < 1.0:
        seen.append(pot.advance(37))
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert all(b > a for a, b in itertools.pairwise(seen))
    assert len(seen) == 1 + -(-TRAIN_STEPS // 37)


class Ticker:
    """A clock for Retrain that moves 1 ms per look."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        self.t += 1e-3
        return self.t


def test_a_new_edit_restarts_the_retrain_and_the_result_is_the_last_datas():
    base = MLPPlane(builtin("moons"))
    base.ensure()
    first = add_point(base.data, (0.5, 2.0), 1)
    last = add_point(first, (-1.0, -1.0), 0)
    job = Retrain(clock=Ticker())
    job.start(base, MLPPlane(first))
    assert job.advance(base, steps=400) is None and 0.0 < job.progress < 1.0
    job.start(base, MLPPlane(last))  # a quick second edit: starts over on the newest data
    assert job.restarts == 1 and job.progress == 0.0 and job.data is last
    done, frames = None, 0
    while done is None:
        done = job.advance(base, budget_s=0.05)
        frames += 1
    assert not job.active and done.data is last
    assert same_landscape(done, MLPPlane(last))
    assert job.advance(base) is None  # handed over once


def test_a_retrain_is_dropped_when_the_world_moves_to_another_landscape():
    base = MLPPlane(builtin("moons"))
    job = Retrain()
    job.start(base, MLPPlane(add_point(base.data, (0.0, 0.0), 1)))
    assert job.advance(object(), steps=10) is None and not job.active


frame = frame_at(SIZE)


@pytest.mark.usefixtures("display")
def test_the_window_keeps_running_the_old_network_while_the_new_one_trains():
    from render.app.app import App
    from render.data.pane_ui import HEADLESS_RETRAIN_STEPS, PROGRESS_BAR
    from sim.rules.dynamics import Rule
    from sim.core.world import World

    old = MLPPlane()
    world = World(old, Rule("gd", lr=0.05), seed=1)
    world.drop_random(50)
    app = App(world, SIZE, headless=True)
    changes = []
    app.runtime.subscribe(changes.append)
    frame(app)
    rect = app.instruments.rects["data"]
    n0 = old.data.n
    for at in ((rect.left + 12, rect.bottom - 12), (rect.right - 12, rect.top + 30)):  # no point near
        app.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=at, button=1, mod=0))
        app.handle(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=at, button=1, mod=0))
        frame(app)
    pane = app.instruments.data
    assert pane.retrain.active and pane.retrain.restarts == 1
    assert app.world.potential is old  # the old landscape runs on
    surf = frame(app)  # the progress bar along the pane's foot, and the new points drawn
    bar_px = (rect.x + 3, pane.rect.bottom - 3)
    assert tuple(surf.get_at(bar_px))[:3] == PROGRESS_BAR
    from sim.data.edit import data_bounds

    assert pane.pane.bounds == data_bounds(pane.retrain.data) != data_bounds(old.data)  # the new points
    ticks, progress = app.world.tick_count, []
    while pane.retrain.active:
        progress.append(pane.retrain.progress)
        frame(app)
    assert app.world.tick_count > ticks  # the balls kept rolling
    assert all(b > a for a, b in itertools.pairwise(progress))
    assert len(progress) == -(-TRAIN_STEPS // HEADLESS_RETRAIN_STEPS) - 2
    assert tuple(frame(app).get_at(bar_px))[:3] != PROGRESS_BAR  # done: no bar
    new = app.world.potential
    assert new is not old and new.data.n == n0 + 2  # both edits, one new landscape
    assert sum(c.name == "DATA" for c in changes) == 1
    assert same_landscape(new, MLPPlane(new.data))


def test_linreg_maps_its_grid_with_the_same_bits_as_its_values():
    """The map's broadcast grid (no [w h, 2] array) is the loss at every point, bit for bit,
    and the least-squares loss of each point's line computed from the data."""
    from sim.data.models import LinReg

    pot = LinReg()
    xs, ys = np.linspace(-4.0, 6.0, 97), np.linspace(5.0, -3.0, 61)  # rows run downwards
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    grid = pot.value_grid(xs, ys)
    assert np.array_equal(grid, pot.value(pts).reshape(grid.shape))
    x, y = pot.data.x[:, 0], pot.data.y
    mse = ((pts[:, :1] * x[None, :] + pts[:, 1:] - y[None, :]) ** 2).mean(axis=1)
    np.testing.assert_allclose(grid.ravel(), mse, rtol=1e-12)


def test_an_edit_keeps_the_maps_scale_and_drafts_the_map_for_a_moment():
    from render.look.camera import DRAFT_SECONDS, Camera
    from render.map.landscape import keep_log, uses_log
    from sim.data.models import LogReg

    old = LogReg()
    new = LogReg(add_point(old.data, (2.0, 2.0), 1))
    keep_log(old, new)
    assert uses_log(new) == uses_log(old)
    cam = Camera(old.view, SIZE)
    assert not cam.interacting(10.0)
    cam.touch(10.0)
    assert cam.interacting(10.0 + 0.5 * DRAFT_SECONDS) and not cam.interacting(10.0 + 2 * DRAFT_SECONDS)


def test_an_edit_on_another_landscape_starts_a_new_job_from_that_ones_data():
    first, second = MLPPlane(builtin("moons")), MLPPlane(builtin("xor"))
    job = Retrain()
    job.start(first, MLPPlane(add_point(first.data, (0.0, 0.0), 1)))
    assert job.data_for(first).n == first.data.n + 1
    assert job.data_for(second) is second.data  # the world moved to another network
    job.start(second, MLPPlane(add_point(second.data, (0.0, 0.0), 1)))
    assert job.restarts == 0 and job.base is second


@pytest.mark.usefixtures("display")
def test_a_file_or_data_set_loaded_on_mlp_retrains_over_frames_too(tmp_path):
    """Loading data on mlp (a file or a built-in set) hands the network to the same retrain as
    an edit: the old landscape runs on while the pane shows progress, then the new network on
    the file's points replaces it -- equal to one trained in one go on those points."""
    from render.app.app import App
    from sim.rules.dynamics import Rule
    from sim.core.world import World

    rng = np.random.default_rng(3)
    pts = rng.normal(size=(30, 2))
    labels = (pts[:, 0] * pts[:, 1] > 0).astype(int)
    f = tmp_path / "quad.csv"
    f.write_text("x1,x2,label\n" + "".join(f"{a!r},{b!r},{c}\n" for (a, b), c in zip(pts.tolist(), labels)))
    old = MLPPlane()
    world = World(old, Rule("gd", lr=0.05), seed=1)
    world.drop_random(20)
    app = App(world, SIZE, headless=True)
    frame(app)
    assert app.data_ui.load(str(f)) is None
    pane = app.instruments.data
    assert pane.retrain.active and app.world.potential is old
    ticks = app.world.tick_count
    while pane.retrain.active:
        frame(app)
    new = app.world.potential
    assert app.world.tick_count > ticks and new is not old
    assert np.array_equal(new.data.x, pts) and np.array_equal(new.data.y, labels)
    assert same_landscape(new, MLPPlane(new.data))
    app.data_ui.use_builtin("xor")
    assert pane.retrain.active and app.world.potential is new
    while pane.retrain.active:
        frame(app)
    assert np.array_equal(app.world.potential.data.x, builtin("xor").x)


@pytest.mark.usefixtures("display")
def test_a_scene_opened_during_a_retrain_drops_it():
    """A retrain under way belongs to the old world: a scene on the same (registry) mlp
    landscape must come up with its own data and keep them, not the old edit's."""
    from render.app.app import App
    from sim.rules.dynamics import Rule
    from sim.data.catalog import get_potential
    from sim.scene.decode import scene_to_world
    from sim.core.world import World

    world = World(get_potential("mlp"), Rule("gd", lr=0.05), seed=1)
    world.drop_random(10)
    app = App(world, SIZE, headless=True)
    frame(app)
    rect = app.instruments.rects["data"]
    n0 = world.potential.data.n
    at = (rect.left + 12, rect.bottom - 12)
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=at, button=1, mod=0))
    app.handle(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=at, button=1, mod=0))
    frame(app)
    assert app.instruments.data.retrain.active
    new, info = scene_to_world({"scene": {"title": "t"}, "landscape": {"potential": "mlp"},
                                "rule": {"name": "gd", "lr": 0.1}})
    app.scene_ui.open_scene(new, info)
    for _ in range(40):
        frame(app)
    assert app.world is new and app.world.potential.data.n == n0


class StepClock:
    """A clock for Retrain on which each training step of the job under way takes 1 ms."""

    def __init__(self) -> None:
        self.retrain = None

    def __call__(self) -> float:
        job = self.retrain.job if self.retrain is not None else None
        return 1e-3 * job._training.k if job is not None and job._training is not None else 0.0


def test_a_frame_trains_for_its_budget_and_at_least_one_step():
    """On a big data set a step costs milliseconds: a frame's slice is sized by the time a step
    took (here 1 ms by the clock): 4 steps in 4.5 ms, never a fixed ten; the result is the same."""
    base = MLPPlane(builtin("moons"))
    base.ensure()
    clock = StepClock()
    job = Retrain(clock=clock)
    clock.retrain = job
    edited = add_point(base.data, (0.5, 2.0), 1)
    job.start(base, MLPPlane(edited))
    per_frame, done = [], None
    while done is None:
        k0 = job.job._training.k if job.job._training is not None else 0
        done = job.advance(base, budget_s=0.0045)
        if done is None:
            per_frame.append(job.job._training.k - k0)
    assert per_frame[0] >= 1 and max(per_frame) == 4 and min(per_frame) >= 1
    assert same_landscape(done, MLPPlane(edited))
