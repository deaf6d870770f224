"""The headless command line (a contract): dumps, defaults, and bad input -> one line, exit 2."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import main

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy"}
    env.pop("ND_DEBUG", None)
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True,
                          text=True, cwd=cwd or ROOT, env=env, timeout=120)


def test_json_dump_has_every_key_and_follows_gd_closed_form(tmp_path):
    out = tmp_path / "gd.json"
    r = run("--headless", "--potential", "bowl", "--dynamics", "gd", "--lr", "0.1",
            "--start=1,-2", "--start=0.5,0.5", "--steps", "25", "--every", "10", "--dump", str(out))
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    assert d["potential"] == "bowl" and d["dynamics"] == "gd"
    assert d["params"] == {"lr": 0.1, "weight_decay": 0.0}  # every effective parameter (torch SGD's)
    assert d["steps"] == 25 and d["seed"] == 0
    assert d["ticks"] == [0, 10, 20, 25]
    pos = np.array(d["positions"])
    assert pos.shape == (4, 2, 2)
    for i, k in enumerate(d["ticks"]):
        np.testing.assert_allclose(pos[i], 0.9**k * np.array([[1, -2], [0.5, 0.5]]), rtol=1e-12)
    np.testing.assert_allclose(np.array(d["values"]), 0.5 * (pos**2).sum(-1), rtol=1e-12)
    assert d["status"] == ["alive", "alive"]
    assert "velocities" not in d


def test_newton_dump_has_velocities_and_all_params(tmp_path):
    out = tmp_path / "n.npz"
    r = run("--headless", "--potential", "double_well", "--dynamics", "newton", "--friction", "0",
            "--particles", "7", "--seed", "4", "--steps", "100", "--dump", str(out))
    assert r.returncode == 0, r.stderr
    d = np.load(out)
    assert d["positions"].shape == (101, 7, 2) and d["velocities"].shape == (101, 7, 2)
    assert d["values"].shape == (101, 7)
    params = json.loads(str(d["params"]))
    # dt: double_well's suggested newton step (sim/tuning.py), as in --frames and the window
    assert params == {"mass": 1.0, "friction": 0.0, "dt": 0.02, "integrator": "verlet"}
    assert list(d["ticks"]) == list(range(101))
    # random starts lie inside the view, and the seed decides them
    x0, x1, y0, y1 = __import__("sim.data.catalog", fromlist=["x"]).get_potential("double_well").view
    p0 = d["positions"][0]
    assert ((p0[:, 0] >= x0) & (p0[:, 0] <= x1) & (p0[:, 1] >= y0) & (p0[:, 1] <= y1)).all()
    out2 = tmp_path / "n2.npz"
    assert run("--headless", "--potential", "double_well", "--dynamics", "newton", "--friction", "0",
               "--particles", "7", "--seed", "4", "--steps", "100", "--dump", str(out2)).returncode == 0
    np.testing.assert_array_equal(np.load(out2)["positions"], d["positions"])


def test_expression_dump(tmp_path):
    out = tmp_path / "e.json"
    r = run("--headless", "--expr", "0.5*(x**2 + y**2)", "--dynamics", "gd", "--lr", "0.5",
            "--start=2,2", "--steps", "3", "--dump", str(out))
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    np.testing.assert_allclose(d["positions"][-1][0], [0.25, 0.25])


def test_diverged_particle_is_strict_json_with_last_finite_position(tmp_path):
    out = tmp_path / "s.json"
    r = run("--headless", "--potential", "saddle", "--dynamics", "gd", "--lr", "0.4",
            "--start=0.5,0.5", "--start=0,0", "--steps", "200", "--dump", str(out))
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "NaN" not in text and "Infinity" not in text
    d = json.loads(text)
    assert d["status"] == ["diverged", "alive"]
    assert np.isfinite(np.array(d["positions"], dtype=float)).all()


def test_headless_steps_never_imports_pygame(tmp_path):
    code = (
        "import sys, runpy; sys.argv = ['main.py', '--headless', '--potential', 'bowl', '--particles', '3',"
        f" '--steps', '5', '--dump', r'{tmp_path / 'x.json'}'];\n"
        "try:\n runpy.run_path('main.py', run_name='__main__')\n"
        "except SystemExit as e:\n assert e.code == 0, e.code\n"
        "print('pygame' in sys.modules)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "False"


def test_help_lists_every_rule_and_potential():
    r = run("--help")
    assert r.returncode == 0
    from sim.rules.dynamics import RULES
    from sim.data.catalog import POTENTIALS
    for name in (*RULES, *POTENTIALS):
        assert name in r.stdout


BAD = [
    (["--potential", "nope"], "unknown potential 'nope'"),
    (["--dynamics", "sgd"], "unknown --dynamics 'sgd'"),
    (["--lr", "fast"], "'fast' is not a number"),
    (["--lr", "0"], "--lr must be > 0"),
    (["--dt", "-0.1"], "--dt must be > 0"),
    (["--mass", "0"], "--mass must be > 0"),
    (["--friction", "-1"], "--friction must be >= 0"),
    (["--temperature", "-2"], "--temperature must be >= 0"),
    (["--lr", "nan"], "not a finite number"),
    (["--beta", "1.5"], "--beta must be below 1"),
    (["--integrator", "rk4", "--dynamics", "newton"], "unknown integrator 'rk4'"),
    (["--expr", "x + import"], "--expr"),
    (["--expr", "__import__('os')"], "--expr"),
    (["--expr", "sin(x"], "--expr"),
]


@pytest.mark.parametrize("extra,message", BAD)
def test_bad_input_one_line_exit_2_no_file(tmp_path, extra, message):
    out = tmp_path / "out.json"
    base = ["--headless", "--steps", "10", "--dump", str(out)]
    if "--potential" not in extra and "--expr" not in extra:
        base += ["--potential", "bowl"]
    r = run(*base, "--start=1,1", *extra)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert message in lines[0]
    assert "Traceback" not in r.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args,message", [
    (["--start=1", "--steps", "3"], "is not X,Y"),
    (["--start=1,inf", "--steps", "3"], "not a finite point"),
    (["--start=a,b", "--steps", "3"], "is not X,Y"),
    (["--start=1,1", "--steps", "-1"], "must not be negative"),
    (["--start=1,1", "--steps", "2.5"], "not a whole number"),
    (["--particles", "-3", "--steps", "3"], "must not be negative"),
    (["--steps", "3"], "no balls"),
    (["--start=1,1"], "--headless needs --steps"),
    (["--start=1,1", "--steps", "3", "--seed", "-1"], "must be from 0 to 2**63 - 1"),
    (["--start=1,1", "--steps", "3", "--seed", str(2**64)], "must be from 0 to 2**63 - 1"),
    (["--particles", "5000000", "--steps", "0"], "at most 2,000,000 balls"),
    (["--start=1,1", "--steps", "3", "--integrator", "euler"], "--integrator is for --dynamics newton"),
    (["--start=1,1", "--steps", "200000000", "--every", "1"], "record less often with --every"),
])
def test_bad_balls_and_counts(tmp_path, args, message):
    out = tmp_path / "o.json"
    r = run("--headless", "--potential", "bowl", "--dump", str(out), *args)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not out.exists()


@pytest.mark.parametrize("dump,message", [
    ("no/such/folder/out.json", "does not exist"),
    ("out.csv", "must end in .json or .npz"),
])
def test_unwritable_dump_checked_before_the_run(tmp_path, dump, message):
    r = run("--headless", "--potential", "bowl", "--start=1,1", "--steps", "5", "--dump", dump, cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert list(tmp_path.iterdir()) == []


def test_folder_that_cannot_be_written():
    # /proc refuses new files even for root (CI runs as root, so chmod would not do)
    r = run("--headless", "--potential", "bowl", "--start=1,1", "--steps", "5", "--dump", "/proc/nd-out.json")
    assert r.returncode == 2 and "cannot write in '/proc'" in r.stderr, r.stderr


def test_list_scenes_names_every_preset():
    r = run("--list-scenes")
    assert r.returncode == 0
    names = {line.split()[0] for line in r.stdout.splitlines()}
    presets = {p.stem for p in (ROOT / "assets" / "scenes").glob("*.toml")}
    assert presets and names == presets


@pytest.mark.parametrize("args,message", [
    (["--scene", "no_such_lesson"], "no scene file or preset named 'no_such_lesson'"),
    (["--show", "sparkles"], "unknown instrument 'sparkles'"),
    (["--record", "x.gif"], "--record goes with --headless --frames"),
    (["--headless", "--frames", "1", "--record", "x.txt"], "must end in .gif or .mp4"),
    (["--scene", "heat_escape", "--potential", "bowl"], "--scene brings its own"),
])
def test_bad_window_options(tmp_path, args, message):
    r = run(*args, cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_dump_is_an_ordinary_file(tmp_path):
    out = tmp_path / "m.json"
    old = os.umask(0o022)
    try:
        r = run("--headless", "--potential", "bowl", "--start=1,1", "--steps", "2", "--dump", str(out))
    finally:
        os.umask(old)
    assert r.returncode == 0
    assert out.stat().st_mode & 0o777 == 0o644


def test_particle_that_leaves_the_domain_is_undefined_at_its_last_point_inside(tmp_path):
    """sqrt(x): gd walks x down towards 0 and steps past it, where V is not a number. The ball
    stops, undefined, at its last point where V was finite (not its start)."""
    out = tmp_path / "n.json"
    r = run("--headless", "--expr", "sqrt(x) + y**2", "--dynamics", "gd", "--lr", "0.1",
            "--start=1,0", "--steps", "100", "--dump", str(out))
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    assert d["status"] == ["undefined"]
    x = 1.0  # by hand: x <- x - lr / (2 sqrt(x)) while x >= 0
    while True:
        nxt = x - 0.1 / (2 * math.sqrt(x)) if x > 0 else float("nan")
        if not nxt >= 0:
            break
        x = nxt
    assert d["positions"][-1][0][0] == pytest.approx(x, rel=1e-12)


def test_a_dump_too_big_for_memory_is_refused_before_the_run(tmp_path):
    out = tmp_path / "big.npz"
    r = run("--headless", "--potential", "bowl", "--particles", "1000000", "--steps", "1000",
            "--every", "1", "--dump", str(out))
    assert r.returncode == 2 and "record less often with --every" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not out.exists()


def test_dump_onto_a_read_only_file_is_refused_and_leaves_it(tmp_path):
    out = tmp_path / "keep.json"
    out.write_text("precious")
    out.chmod(0o444)
    r = run("--headless", "--potential", "bowl", "--start=1,1", "--steps", "3", "--dump", str(out))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "read-only" in r.stderr
    assert out.read_text() == "precious" and not r.stdout


BOWL_SCENE = """[landscape]
potential = "bowl"
[rule]
name = "gd"
lr = 0.1
[particles]
pos = [[1.0, -2.0], [0.5, 0.5]]
[state]
seed = 11
"""


def test_steps_with_a_scene_runs_that_scene_and_given_options_override_it(tmp_path):
    scene = tmp_path / "bowl.toml"
    scene.write_text(BOWL_SCENE)
    start = np.array([[1, -2], [0.5, 0.5]])
    for extra, factor in (([], 0.9), (["--lr", "0.2"], 0.8)):
        out = tmp_path / "s.json"
        r = run("--headless", "--scene", str(scene), *extra, "--steps", "12", "--every", "4",
                "--dump", str(out))
        assert r.returncode == 0, r.stderr
        d = json.loads(out.read_text())
        assert d["potential"] == "bowl" and d["dynamics"] == "gd" and d["seed"] == 11
        assert d["params"]["lr"] == pytest.approx(1 - factor) and d["ticks"] == [0, 4, 8, 12]
        pos = np.array(d["positions"])
        for i, k in enumerate(d["ticks"]):  # gd on V = |x|^2/2: x_k = (1 - lr)^k x_0
            np.testing.assert_allclose(pos[i], factor**k * start, rtol=1e-12)
        out.unlink()


@pytest.mark.parametrize("args, msg", [
    (["--steps", "5", "--dump", "o.json", "--screenshot", "a.png"], "--screenshot goes with"),
    (["--steps", "5", "--dump", "o.json", "--record", "a.gif"], "--record goes with"),
    (["--steps", "5", "--dump", "o.json", "--show", "trails"], "--show goes with"),
    (["--steps", "5", "--dump", "o.json", "--size", "640x400"], "--size goes with"),
    (["--steps", "5", "--dump", "o.json", "--lr", "-5"], "lr"),
    (["--steps", "5", "--dump", "o.json", "--dynamics", "bogus"], "unknown --dynamics"),
    (["--steps", "5", "--dump", "o.json", "--seed", "3"], "--seed"),
    (["--frames", "2", "--lr", "-5"], "lr"),
    (["--frames", "2", "--dynamics", "bogus"], "unknown --dynamics"),
    (["--frames", "2", "--integrator", "bogus"], "integrator"),
    (["--frames", "2", "--every", "3"], "--every goes with --steps"),
])
def test_options_that_cannot_apply_or_are_invalid_with_a_scene_are_errors(args, msg, tmp_path):
    scene = tmp_path / "bowl.toml"
    scene.write_text(BOWL_SCENE)
    r = run("--headless", "--scene", str(scene), *args, cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and msg in r.stderr, r.stderr
    assert not (tmp_path / "o.json").exists() and not list(tmp_path.glob("a.*"))


def test_a_dump_name_too_long_for_the_folder_is_a_clear_error(tmp_path):
    out = tmp_path / ("a" * 300 + ".json")
    r = run("--headless", "--potential", "bowl", "--start=1,1", "--steps", "2", "--dump", str(out))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "file name is 305 bytes long" in r.stderr and "internal" not in r.stderr


def test_a_full_disk_while_writing_the_dump_is_a_clear_error_and_leaves_nothing(tmp_path):
    import resource

    def small_files():  # the write fails as on a full disk (EFBIG instead of ENOSPC)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    env = {**os.environ, "SDL_VIDEODRIVER": "dummy"}
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--headless", "--potential", "bowl",
                        "--particles", "500", "--steps", "20", "--dump", str(tmp_path / "d.json")],
                       capture_output=True, text=True, env=env, timeout=120, preexec_fn=small_files)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "--dump: cannot write" in r.stderr and "internal" not in r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("show", ["twin", "race"])
def test_the_ball_limit_reached_through_twins_or_lanes_is_a_clear_error(show, monkeypatch, capsys):
    from sim.runtime import balls
    from sim.core import particles

    monkeypatch.setattr(particles, "MAX_PARTICLES", 50)
    monkeypatch.setattr(balls, "WINDOW_MAX_BALLS", 50)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    status = main.main(["--headless", "--frames", "1", "--particles", "40", "--show", show])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "limit" in err and "internal" not in err


def test_a_failed_record_and_numeric_overflow_give_one_line_on_stderr_and_none_on_stdout(tmp_path):
    import resource

    def small_files():  # every write past 3000 bytes fails, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000))

    env = {**os.environ, "SDL_VIDEODRIVER": "dummy"}
    env.pop("ND_DEBUG", None)
    main_py = str(ROOT / "main.py")
    for args, word in ((["--frames", "20", "--record", "r.gif"], "recording"),
                       (["--frames", "2", "--screenshot", "s.png"], "screenshot")):
        r = subprocess.run([sys.executable, main_py, "--headless", *args], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120, preexec_fn=small_files)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and word in r.stderr, r.stderr
        assert "error" not in r.stdout and "libpng" not in r.stderr
    r = run("--headless", "--frames", "0", "--record", str(tmp_path / "none.gif"))
    assert r.returncode == 2 and "no frames" in r.stderr and "error" not in r.stdout
    r = run("--headless", "--potential", "rosenbrock", "--start=1e308,1e308", "--frames", "3")
    assert r.returncode == 0 and r.stderr == ""
    r = run("--headless", "--potential", "rosenbrock", "--start=1e308,1e308", "--steps", "3",
            "--dump", str(tmp_path / "big.json"))
    assert r.returncode == 0 and r.stderr == ""


@pytest.mark.parametrize("flag, value", [("--expr", "-x**2-y**2"), ("--start", "-1,2"),
                                          ("--scene", "-weird.toml")])
def test_a_value_starting_with_minus_says_to_join_it_with_equals(flag, value):
    r = run("--headless", flag, value, "--steps", "1", "--dump", "x.json")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert f"{flag}={value}" in r.stderr and "expected one argument" not in r.stderr
