"""One atomic write for every whole file (sim/files.py atomic_write): a new file is 0644 less
the umask, a replaced one keeps its permission bits, a failure leaves the old file and no
temporary file. Every writer goes through it: --dump, --report (issue: written 0600),
--screenshot (issue: out-1.png beside an existing out.png: a path given is the user's choice,
overwritten), scenes, the window's own screenshots (never over a file). And a path ending in a
slash names a folder: refused (issue: --dump x.npz/ wrote a file named x.npz)."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sim.support.files import atomic_write

ROOT = Path(__file__).resolve().parents[3]


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def umask():
    old = os.umask(0o022)
    try:
        yield lambda m: os.umask(m)
    finally:
        os.umask(old)


@pytest.mark.parametrize("mask,want", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o644), (0o027, 0o640)])
def test_a_new_file_is_0644_less_the_umask(tmp_path, umask, mask, want):
    umask(mask)
    out = atomic_write(tmp_path / "a.bin", b"hello")
    assert out == tmp_path / "a.bin" and out.read_bytes() == b"hello" and mode(out) == want
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]


def test_a_replaced_file_keeps_its_mode_and_a_new_name_never_replaces(tmp_path, umask):
    p = tmp_path / "s.toml"
    p.write_bytes(b"old")
    p.chmod(0o640)
    atomic_write(p, lambda f: f.write(b"new"))
    assert p.read_bytes() == b"new" and mode(p) == 0o640
    q = atomic_write(p, b"third", replace=False)
    assert q == tmp_path / "s-1.toml" and p.read_bytes() == b"new" and q.read_bytes() == b"third"


def test_a_failure_leaves_the_old_file_and_no_temporary(tmp_path):
    p = tmp_path / "d.json"
    p.write_bytes(b"keep")

    def boom(f):
        f.write(b"half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(p, boom)
    assert p.read_bytes() == b"keep" and [x.name for x in tmp_path.iterdir()] == ["d.json"]


def run(args, cwd, mask=0o027):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300, preexec_fn=lambda: os.umask(mask),
                          env={**os.environ, "SDL_VIDEODRIVER": "dummy"})


def test_every_command_line_output_honours_the_umask(tmp_path):
    r = run(["--headless", "--potential", "bowl", "--start=1,1", "--steps", "3", "--dump", "d.npz"], tmp_path)
    assert r.returncode == 0, r.stderr
    r = run(["--headless", "--potential", "bowl", "--particles", "2", "--frames", "2",
             "--screenshot", "s.png", "--report", "r.json"], tmp_path)
    assert r.returncode == 0, r.stderr
    got = {p.name: mode(p) for p in tmp_path.iterdir()}
    assert got == {"d.npz": 0o640, "s.png": 0o640, "r.json": 0o640}, {k: oct(v) for k, v in got.items()}
    r = run(["--headless", "--potential", "bowl", "--particles", "2", "--frames", "2", "--report", "q.json"],
            tmp_path, mask=0o022)
    assert r.returncode == 0 and mode(tmp_path / "q.json") == 0o644  # the issue: 0600


def test_scenes_honour_the_umask(tmp_path, umask):
    from sim.rules.dynamics import Rule
    from sim.data.catalog import get_potential
    from sim.scene.io import save_new_scene, save_scene
    from sim.core.world import World

    umask(0o027)
    w = World(get_potential("bowl"), Rule("gd"))
    assert mode(save_scene(w, tmp_path / "a.toml")) == 0o640
    assert mode(save_new_scene(w, tmp_path / "a.toml")) == 0o640  # a-1.toml


def test_screenshot_given_on_the_command_line_replaces_the_file(tmp_path):
    shot = tmp_path / "out.png"
    shot.write_bytes(b"not a picture")
    r = run(["--headless", "--potential", "bowl", "--particles", "2", "--frames", "2", "--screenshot", "out.png"],
            tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_windows_own_screenshots_never_overwrite(tmp_path, display):
    import pygame

    from render.files.names import save_screenshot

    s = pygame.Surface((8, 8))
    a = save_screenshot(s, tmp_path / "newton-descent-x.png")
    b = save_screenshot(s, tmp_path / "newton-descent-x.png")
    assert (a.name, b.name) == ("newton-descent-x.png", "newton-descent-x-1.png")


@pytest.mark.parametrize("args", [
    ["--potential", "bowl", "--start=1,1", "--steps", "3", "--dump", "x.npz/"],
    ["--potential", "bowl", "--start=1,1", "--steps", "3", "--dump", "x.json/"],
    ["--potential", "bowl", "--frames", "1", "--screenshot", "s.png/"],
    ["--potential", "bowl", "--frames", "1", "--report", "r.json/"],
])
def test_a_path_ending_in_a_slash_is_refused(tmp_path, args):
    r = run(["--headless", *args], tmp_path)
    assert r.returncode == 2 and "slash" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert list(tmp_path.iterdir()) == []
