"""--data files, the command line and scenes of data landscapes.

Every malformed file is one line naming the row and column, exit status 2 and nothing
written; a dump is the same bytes for the same seed; a saved scene continues exactly and
refuses a data file that changed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.data.sets import DataError, read_csv
from sim.data import make_landscape
from sim.rules.dynamics import Rule
from sim.scene.schema import SceneError
from sim.scene.io import load_scene, save_scene
from sim.core.world import World

ROOT = Path(__file__).resolve().parents[3]
GOOD_REG = "x,y\n0,1\n1,2.5\n2,2.9\n3,4.2\n"
GOOD_CLS = "x1,x2,label\n0,1,1\n1,0,0\n1,1,1\n-1,0,0\n0.5,-1,0\n"

# (file bytes, what the message must name)
BAD = {
    "not_a_number": (b"x,y\n0,1\n1,abc\n", "row 3, column 2 (y): 'abc' is not a number"),
    "nan": (b"x,y\n0,1\nnan,2\n", "row 3, column 1 (x): 'nan' is not a finite number"),
    "inf": (b"x1,x2,label\n0,1,1\n1,-inf,0\n", "row 3, column 2 (x2): '-inf' is not a finite number"),
    "empty_cell": (b"x,y\n0,1\n1,\n", "row 3, column 2 (y): empty"),
    "short_row": (b"x1,x2,label\n0,1,1\n1,0\n", "row 3: 2 columns, the header has 3"),
    "long_row": (b"x,y\n0,1\n1,2,3\n", "row 3: 3 columns, the header has 2"),
    "wide_header": (b"a,b,c,d\n1,2,3,4\n5,6,7,8\n", "row 1: the header has 4 columns"),
    "one_column": (b"x\n1\n2\n", "row 1: the header has 1 columns"),
    "label_2": (b"x1,x2,label\n0,1,1\n1,0,2\n", "row 3, column 3 (label): a label must be 0 or 1, got '2'"),
    "label_half": (b"x1,x2,label\n0,1,0.5\n1,0,1\n", "row 2, column 3 (label): a label must be 0 or 1"),
    "one_row": (b"x,y\n0,1\n", "only 1 data row(s); at least 2"),
    "header_only": (b"x,y\n", "only 0 data row(s)"),
    "empty": (b"", "empty: expected a header row"),
    "no_header": (b"0,1\n1,2\n2,3\n", "row 1: expected a header row"),
    "not_utf8": (b"x,y\n0,1\n1,\xff\xfe\n", "row 3: not UTF-8 text"),
    "too_many_rows": (b"x,y\n" + b"1,2\n" * 100_001, "100,001 data rows; at most 100,000"),
}


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / f"{name}.csv"
    p.write_bytes(data)
    return p


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True,
                          text=True, cwd=cwd or ROOT, timeout=120)


@pytest.mark.parametrize("case", list(BAD))
def test_bad_file_is_one_error_naming_row_and_column(tmp_path, case):
    data, expect = BAD[case]
    p = write(tmp_path, case, data)
    with pytest.raises(DataError) as info:
        read_csv(p)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(f"{case}.csv: ") and expect in msg, msg


@pytest.mark.parametrize("case", ["not_a_number", "label_2", "short_row", "not_utf8", "one_row", "too_many_rows"])
def test_bad_file_on_the_command_line_exits_2_and_writes_nothing(tmp_path, case):
    data, expect = BAD[case]
    p = write(tmp_path, case, data)
    out = tmp_path / "out.npz"
    pot = "linreg" if data.startswith(b"x,") else "logreg"
    r = run("--headless", "--potential", pot, "--data", str(p), "--particles", "3", "--steps", "5",
            "--dump", str(out))
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and expect in lines[0] and lines[0].startswith("newton-descent: error: --data:")
    assert not out.exists() and r.stdout == ""


def test_folder_and_missing_file_exit_2(tmp_path):
    for target, expect in [(tmp_path, "is a folder"), (tmp_path / "nope.csv", "cannot read")]:
        r = run("--headless", "--potential", "linreg", "--data", str(target), "--particles", "3",
                "--steps", "5", "--dump", str(tmp_path / "o.json"))
        assert r.returncode == 2 and expect in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_a_pipe_or_a_device_is_refused_at_once(tmp_path):
    """A FIFO would block the reader (and the window) forever, /dev/zero never ends: both are
    one line and exit 2, within the test's timeout."""
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    targets = [fifo] + ([Path("/dev/zero")] if Path("/dev/zero").exists() else [])
    for target in targets:
        r = run("--headless", "--potential", "linreg", "--data", str(target), "--particles", "3",
                "--steps", "5", "--dump", str(tmp_path / "o.json"))
        assert r.returncode == 2 and "not a regular file" in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1


def test_data_of_the_wrong_kind_and_misplaced_options_exit_2(tmp_path):
    cls = write(tmp_path, "cls", GOOD_CLS.encode())
    cases = [
        (["--potential", "linreg", "--data", str(cls)], "linreg needs regression data"),
        (["--potential", "bowl", "--batch", "4"], "--batch goes with a data landscape"),
        (["--potential", "logreg", "--plane", "pca"], "--plane goes with --potential mlp"),
        (["--potential", "mlp", "--plane", "sideways"], "--plane must be one of: random, pca"),
        (["--potential", "linreg", "--l2", "0.1"], "--l2 goes with --potential logreg or mlp"),
        (["--potential", "logreg", "--l2", "-1"], "--l2 must be a finite number >= 0"),
        (["--potential", "logreg", "--data", "spirals"], "cannot read"),
    ]
    for args, expect in cases:
        r = run("--headless", *args, "--particles", "3", "--steps", "5", "--dump", str(tmp_path / "o.json"))
        assert r.returncode == 2, (args, r.stderr)
        assert expect in r.stderr and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)


def test_good_files_read_back_exactly(tmp_path):
    d = read_csv(write(tmp_path, "reg", ("\ufeff" + GOOD_REG + "\n\n").encode()))
    assert d.kind == "regression" and d.x[:, 0].tolist() == [0, 1, 2, 3] and d.y.tolist() == [1, 2.5, 2.9, 4.2]
    c = read_csv(write(tmp_path, "cls", GOOD_CLS.replace(",", " , ").encode()))
    assert c.kind == "classification" and c.y.tolist() == [1, 0, 1, 0, 0] and c.x.shape == (5, 2)


def test_dump_same_seed_same_bytes_with_batch_and_loss(tmp_path):
    p = write(tmp_path, "pts", GOOD_REG.encode())
    outs = []
    for k in range(2):
        out = tmp_path / f"o{k}.npz"
        r = run("--headless", "--potential", "linreg", "--data", str(p), "--dynamics", "gd", "--batch", "2",
                "--particles", "20", "--seed", "1", "--steps", "300", "--every", "10", "--dump", str(out))
        assert r.returncode == 0, r.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    d = np.load(tmp_path / "o0.npz")
    assert int(d["batch"]) == 2 and d["loss"].shape == (31,)
    np.testing.assert_allclose(d["loss"], d["values"].mean(axis=1), rtol=1e-15)
    assert d["loss"][-1] < d["loss"][0]
    other = tmp_path / "o2.npz"
    run("--headless", "--potential", "linreg", "--data", str(p), "--dynamics", "gd", "--batch", "2",
        "--particles", "20", "--seed", "2", "--steps", "300", "--every", "10", "--dump", str(other))
    assert other.read_bytes() != outs[0]


def test_json_dump_of_the_network(tmp_path):
    out = tmp_path / "m.json"
    r = run("--headless", "--potential", "mlp", "--plane", "pca", "--dynamics", "momentum", "--lr", "0.05",
            "--batch", "8", "--start=0.5,0.5", "--steps", "50", "--dump", str(out))
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    assert d["potential"] == "mlp" and d["batch"] == 8 and d["data"] == "moons" and len(d["loss"]) == 51


# ----------------------------------------------------------------------------------------
# Scenes
# ----------------------------------------------------------------------------------------
def _continues(world: World, path: Path) -> World:
    save_scene(world, path)
    back, _ = load_scene(path)
    world.tick(40)
    back.tick(40)
    assert np.array_equal(world.particles.pos, back.particles.pos)
    assert np.array_equal(world.particles.vel, back.particles.vel)
    return back


@pytest.mark.parametrize("rule", ["gd", "adam", "newton", "langevin"])
def test_scene_with_minibatches_continues_exactly(tmp_path, rule):
    p = write(tmp_path, "cls", GOOD_CLS.encode())
    pot = make_landscape("logreg", read_csv(p), l2=0.01)
    w = World(pot, Rule(rule, lr=0.05, dt=0.05), seed=5)
    w.set_batch(2)
    w.drop_random(20)
    w.add_rule(Rule("gd", lr=0.1))
    w.drop(np.zeros((3, 2)), rule_id=1)
    w.tick(30)
    back = _continues(w, tmp_path / "s.toml")
    assert back.batch == 2 and back.potential.l2 == 0.01 and back.potential.data.sha256 == pot.data.sha256


def test_scene_of_the_network_and_of_edited_data(tmp_path):
    net = make_landscape("mlp", plane="pca", train_seed=3)
    w = World(net, Rule("momentum", lr=0.05), seed=2)
    w.set_batch(8)
    w.drop_random(10)
    w.tick(10)
    back = _continues(w, tmp_path / "net.toml")
    assert back.potential.plane == "pca" and back.potential.train_seed == 3
    edited = make_landscape("linreg").data.with_points(np.array([[0.0], [1.0], [2.0]]), np.array([1.0, 2.0, 2.5]))
    w = World(make_landscape("linreg", edited), Rule("gd", lr=0.05), seed=2)
    w.drop_random(5)
    back = _continues(w, tmp_path / "edit.toml")
    assert back.potential.data.y.tolist() == [1.0, 2.0, 2.5]


def test_scene_refuses_a_changed_data_file(tmp_path):
    p = write(tmp_path, "pts", GOOD_REG.encode())
    w = World(make_landscape("linreg", read_csv(p)), Rule("gd"), seed=1)
    save_scene(w, tmp_path / "s.toml")
    load_scene(tmp_path / "s.toml")  # unchanged: fine
    p.write_text(GOOD_REG + "4,5\n")
    with pytest.raises(SceneError) as info:
        load_scene(tmp_path / "s.toml")
    assert "pts.csv has changed since the scene was saved" in str(info.value)
    p.unlink()
    with pytest.raises(SceneError, match="cannot read"):
        load_scene(tmp_path / "s.toml")


def test_scene_data_keys_are_checked(tmp_path):
    base = '[landscape]\npotential = "{pot}"\n{extra}\n[rule]\nname = "gd"\n'
    cases = [("bowl", "l2 = 0.5", "l2 goes with a data landscape"),
             ("linreg", "l2 = 0.1", "linreg takes no l2"),
             ("mlp", 'plane = "flat"', "--plane must be one of"),
             ("logreg", '[landscape.data]\nbuiltin = "spiral"', "builtin must be one of"),
             ("logreg", '[landscape.data]\nx = [[0.0, 1.0], [1.0, 0.0]]\ny = [0, 2]\nkind = "classification"',
              "labels (y) must be 0 or 1")]
    for pot, extra, expect in cases:
        f = tmp_path / "bad.toml"
        f.write_text(base.format(pot=pot, extra=extra))
        with pytest.raises(SceneError) as info:
            load_scene(f)
        assert expect in str(info.value), (pot, extra, str(info.value))
    f.write_text('[landscape]\npotential = "logreg"\n[rule]\nname = "gd"\nbatch = -2\n')
    with pytest.raises(SceneError, match="batch must be an integer >= 0"):
        load_scene(f)
