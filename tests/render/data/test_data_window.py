"""Data in the window (issue 10): a CSV file dropped on the window or typed into the path field
(Ctrl+D or the panel's button) becomes the landscape's data; a bad file is the reader's one
line on screen and nothing changes; the panel's built-in sets and minibatch buttons; a scene
saved afterwards names the file and its SHA-256. References: numpy's least squares, the file's
own numbers written here, the built-in generator, hashlib, T_eff's formula transcribed."""
from __future__ import annotations

import hashlib
import os
import tomllib

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from render.input.keys import Cmd  # noqa: E402
from sim.data.sets import builtin, read_csv  # noqa: E402
from tests.support.apps import click, data_app, frame_at, key, same_state as same, type_text  # noqa: E402
from tests.support.apps import world_state as state  # noqa: E402

pytestmark = pytest.mark.usefixtures("display")  # tests/conftest.py
SIZE = (1280, 800)
GOOD = [(0.0, 1.1), (1.0, 2.9), (2.0, 5.2), (3.0, 6.8), (4.5, 10.1)]  # x, y
# file text -> a piece of the one line the reader must give (row and column written by hand)
BAD = {
    "not_a_number": ("x,y\n0,1\n1,abc\n", "row 3, column 2 (y): 'abc' is not a number"),
    "nan": ("x,y\n0,1\nnan,2\n", "row 3, column 1 (x): 'nan' is not a finite number"),
    "inf": ("x,y\n0,inf\n1,2\n", "row 2, column 2 (y): 'inf' is not a finite number"),
    "extra_column": ("x,y\n0,1\n1,2,3\n", "row 3: 3 columns, the header has 2"),
    "four_columns": ("a,b,c,d\n1,2,3,4\n5,6,7,8\n", "row 1: the header has 4 columns"),
    "label_2": ("x1,x2,label\n0,0,1\n1,1,2\n", "row 3, column 3 (label): a label must be 0 or 1"),
    "one_row": ("x,y\n0,1\n", "only 1 data row"),
    "too_many": ("x,y\n" + "1,2\n" * 100_001, "100,001 data rows; at most 100,000"),
    "not_utf8": (b"x,y\n0,1\n\xff\xfe,2\n", "row 3: not UTF-8"),
    "empty": ("", "empty"),
    "numbers_header": ("1,2\n3,4\n5,6\n", "row 1: expected a header row"),
    "empty_cell": ("x,y\n0,\n1,2\n", "row 2, column 2 (y): empty"),
}


make_app = data_app
frame = frame_at(SIZE)


def write(path, content):
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def good_file(tmp_path):
    return write(tmp_path / "pts.csv", "x,y\n" + "".join(f"{x},{y}\n" for x, y in GOOD))


def widget(app, action):
    for w in app.controls.widgets:
        if w.kind == "button" and w.action == action:
            return w
    raise LookupError(action)


def lstsq_point():
    x, y = np.array(GOOD).T
    (w, b), *_ = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)
    return np.array([w, b])


def test_a_dropped_csv_becomes_the_data_and_the_balls_and_rule_stay(tmp_path):
    app = make_app("linreg")
    frame(app)
    pos, rules = app.world.particles.pos[: app.world.n].copy(), tuple(app.world.rules)
    app.handle(pygame.event.Event(pygame.DROPFILE, file=str(good_file(tmp_path))))
    pot = app.world.potential
    assert pot.name == "linreg"
    assert np.array_equal(pot.data.x[:, 0], np.array(GOOD)[:, 0]) and np.array_equal(pot.data.y, np.array(GOOD)[:, 1])
    assert np.allclose(pot.minima[0], lstsq_point(), atol=1e-9)
    assert np.allclose(pot.grad(lstsq_point()[None]), 0.0, atol=1e-9)
    assert np.array_equal(app.world.particles.pos[: app.world.n], pos) and tuple(app.world.rules) == rules
    assert "pts.csv" in app.notices.message[0] and app.data_ui.last_error is None
    frame(app)


@pytest.mark.parametrize("case", sorted(BAD) + ["folder", "missing"])
def test_a_bad_dropped_file_is_one_line_on_screen_and_nothing_changes(tmp_path, case):
    app = make_app("linreg")
    for _ in range(3):
        frame(app)
    if case == "folder":
        path, piece = tmp_path, "is a folder"
    elif case == "missing":
        path, piece = tmp_path / "nowhere.csv", "nowhere.csv: cannot read"
    else:
        path, piece = write(tmp_path / f"{case}.csv", BAD[case][0]), BAD[case][1]
    before = state(app)
    app.handle(pygame.event.Event(pygame.DROPFILE, file=str(path)))
    same(state(app), before)
    text, _t0, _dur, colour = app.notices.message
    assert piece in text and "\n" not in text
    with pytest.raises(ValueError) as err:
        read_csv(path)
    assert text == str(err.value)  # the reader's own line, as on the command line
    assert colour != (255, 255, 255) and app.data_ui.last_error == text
    frame(app)  # drawn without a traceback


def test_a_bad_file_on_mlp_or_logreg_changes_nothing_either(tmp_path):
    app = make_app("logreg")
    frame(app)
    before = state(app)
    path = write(tmp_path / "reg.csv", "x1,x2,label\n0,0,1\n1,1,0\n2,x,1\n")
    app.handle(pygame.event.Event(pygame.DROPFILE, file=str(path)))
    same(state(app), before)
    assert "row 4, column 2 (x2)" in app.notices.message[0]


def test_the_typed_path_loads_on_enter_and_a_bad_one_stays_with_its_line(tmp_path):
    app = make_app("linreg")
    frame(app)
    n_balls = app.world.n
    bad = write(tmp_path / "crab.csv", BAD["label_2"][0])  # c and r: clear and restart keys
    app.runtime.paused = True  # (frames drawn below tick nothing)
    before = state(app)
    key(app, pygame.K_d, "\x04", pygame.KMOD_CTRL)
    assert app.data_ui.entry.active
    surf = frame(app)
    type_text(app, str(bad))
    key(app, pygame.K_RETURN)
    same(state(app), before)  # the letters typed were no commands, the bad file no data
    assert app.data_ui.entry.active and app.data_ui.entry.text == str(bad)
    assert "row 3, column 3 (label): a label must be 0 or 1" in app.data_ui.entry.error
    surf = frame(app)
    from render.look.theme import EDITOR_BG
    area_h = SIZE[1] - app.timeline_ui.height()
    assert surf.get_at((40, area_h - 20))[:3] == EDITOR_BG[:3]  # the field, along the bottom
    key(app, pygame.K_ESCAPE)
    assert not app.data_ui.entry.active and app.running  # Esc closed the field, did not quit
    key(app, pygame.K_d, "\x04", pygame.KMOD_CTRL)
    type_text(app, str(good_file(tmp_path)))
    key(app, pygame.K_RETURN)
    assert not app.data_ui.entry.active and app.world.n == n_balls
    assert np.allclose(app.world.potential.minima[0], lstsq_point(), atol=1e-9)


def test_a_classification_file_on_linreg_switches_to_logreg_and_a_scene_records_it(tmp_path):
    app = make_app("linreg")
    frame(app)
    path = write(tmp_path / "cls.csv", "x1,x2,label\n0,1,1\n1,0,0\n2,2,1\n-1,-1,0\n")
    app.handle(pygame.event.Event(pygame.DROPFILE, file=str(path)))
    assert app.world.potential.name == "logreg" and app.world.potential.data.n == 4
    saved = app.scene_ui.save(tmp_path)
    app.close()
    saved = saved or sorted(tmp_path.glob("newton-descent-*.toml"))[-1]
    t = tomllib.loads(saved.read_text())
    data = t["landscape"]["data"]
    assert data["file"] == str(path.resolve())
    assert data["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    from sim.scene.io import load_scene

    world, _info = load_scene(saved)
    assert np.array_equal(world.potential.data.x, [[0, 1], [1, 0], [2, 2], [-1, -1]])


def test_the_panel_offers_the_sets_the_task_can_use_and_a_click_switches():
    app = make_app("logreg")
    frame(app)
    sets = [w.action[1] for w in app.controls.widgets if w.kind == "button" and w.action[0] is Cmd.DATA_SET]
    assert sets == ["blobs", "moons", "circles", "xor"]
    for name in ("moons", "xor", "blobs"):
        click(app, widget(app, (Cmd.DATA_SET, name)).rect.center)
        frame(app)
        ref = builtin(name)
        d = app.world.potential.data
        assert app.world.potential.name == "logreg" and d.source == name
        assert np.array_equal(d.x, ref.x) and np.array_equal(d.y, ref.y)
        assert widget(app, (Cmd.DATA_SET, name)).lit
    app = make_app("linreg")
    frame(app)
    assert [w.action[1] for w in app.controls.widgets if w.action and w.action[0] is Cmd.DATA_SET] == ["line"]
    app = make_app("bowl")
    frame(app)
    assert not any(w.action and w.action[0] in (Cmd.DATA_SET, Cmd.BATCH, Cmd.LOAD_DATA)
                   for w in app.controls.widgets if w.kind == "button")


def test_the_batch_buttons_set_every_rule_the_timeline_keeps_it_and_t_eff_shows():
    app = make_app("linreg")
    rt = app.runtime
    frame(app)
    assert widget(app, (Cmd.BATCH, 0)).lit
    rt.paused = True
    rt.tick(5)
    click(app, widget(app, (Cmd.BATCH, 8)).rect.center)
    assert [r.batch for r in app.world.rules] == [8]
    rt.tick(5)
    frame(app)
    assert widget(app, (Cmd.BATCH, 8)).lit and not widget(app, (Cmd.BATCH, 0)).lit
    assert rt.scrub(4) and app.world.batch == 0  # before the change: full batch
    assert rt.scrub(9) and app.world.batch == 8
    rt.select(0)
    pos = app.world.particles.pos[0].copy()
    noise = app.instruments.data.noise(app.frame.context(app.frames))
    # T_eff = lr tr(C) / (2·2·B) · (n−B)/(n−1), C the per-example gradients' covariance
    d = app.world.potential.data
    x, y = d.x[:, 0], d.y
    r = pos[0] * x + pos[1] - y
    g = np.column_stack([2 * r * x, 2 * r])  # gradient of (w x + b − y)² per example
    assert np.allclose(g.mean(axis=0), app.world.potential.grad(pos[None])[0])
    c = np.cov(g.T, bias=True)
    n, b, lr = d.n, 8, app.world.rule.lr
    assert noise["t_eff"] == pytest.approx(lr * np.trace(c) / (4 * b) * (n - b) / (n - 1), rel=1e-9)


def test_ctrl_k_cycles_the_batch_and_shift_goes_back():
    app = make_app("linreg")
    frame(app)
    seen = []
    for _ in range(3):
        key(app, pygame.K_k, "\x0b", pygame.KMOD_CTRL)
        seen.append(app.world.batch)
    key(app, pygame.K_k, "\x0b", pygame.KMOD_CTRL | pygame.KMOD_SHIFT)
    assert seen == [1, 2, 4] and app.world.batch == 2
    app = make_app("bowl")
    key(app, pygame.K_k, "\x0b", pygame.KMOD_CTRL)
    assert app.world.batch == 0 and "data landscapes" in app.notices.toast[0]


@pytest.mark.parametrize("size", [(960, 600), (1280, 800)])
@pytest.mark.parametrize("name", ["linreg", "logreg"])
def test_the_data_section_is_drawn_inside_the_panel_without_overlaps(size, name):
    app = make_app(name)
    app.controls.scroll = 10_000  # the bottom of the panel
    surf = frame(app, size)
    ws = app.controls.widgets
    rect = app.controls.rect
    for i, a in enumerate(ws):
        assert rect.left <= a.rect.left and a.rect.right <= rect.right, a.label
        for b in ws[i + 1:]:
            assert not a.rect.colliderect(b.rect), (a.label, b.label)
    app.controls.scroll = 0
    surf = frame(app, size)
    load = widget(app, (Cmd.LOAD_DATA, None))
    if rect.contains(load.rect):  # drawn: its outline, and the lit "full" button filled
        edge = [tuple(surf.get_at((load.rect.centerx, load.rect.y + k)))[:3] for k in range(3)]
        assert (70, 74, 92) in edge
        full = widget(app, (Cmd.BATCH, 0))
        if rect.contains(full.rect):
            from render.look.theme import ACCENT
            assert tuple(surf.get_at((full.rect.x + 6, full.rect.centery)))[:3] == ACCENT[:3]


def test_a_scene_saved_in_the_window_with_minibatches_keeps_the_batch(tmp_path):
    """(The window's save copies the world first; that copy once lacked what a minibatch
    world's save reads, so Ctrl+S failed with any batch.)"""
    app = make_app("linreg")
    frame(app)
    click(app, widget(app, (Cmd.BATCH, 4)).rect.center)
    app.runtime.tick(3)
    saved = app.scene_ui.save(tmp_path)
    app.close()
    assert saved is not None and "cannot save" not in (app.notices.message or ("",))[0]
    from sim.scene.io import load_scene

    world, _info = load_scene(saved)
    assert world.batch == 4 and world.tick_count == app.world.tick_count
    assert np.array_equal(world.particles.pos[: world.n], app.world.particles.pos[: app.world.n])


def test_a_file_whose_scale_makes_the_kept_lr_unstable_says_so(tmp_path):
    app = make_app("linreg")  # gd, lr 0.05
    frame(app)
    x = np.linspace(0.0, 100.0, 30)
    path = write(tmp_path / "big.csv", "x,y\n" + "".join(f"{a},{2 * a + 1}\n" for a in x))
    hess = 2.0 * np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])  # of mean((w x + b − y)²)
    assert 0.05 * np.linalg.eigvalsh(hess).max() > 2.0  # the reference: gd's lr is unstable here
    app.handle(pygame.event.Event(pygame.DROPFILE, file=str(path)))
    assert app.world.rule.lr == 0.05 and "is beyond the stable 2/λmax" in app.notices.message[0]
    app.handle(pygame.event.Event(pygame.DROPFILE, file=str(good_file(tmp_path))))
    assert "beyond" not in app.notices.message[0]  # lr 0.05 · λmax < 2 on GOOD
