"""Scene files that cannot be read say what is wrong with them: a byte order mark, a
symbolic link that loops or points nowhere."""
import os

import pytest

from sim.scene.schema import SceneError
from sim.scene.presets import find_scene
from sim.scene.io import load_scene

GOOD = '[landscape]\npotential = "bowl"\n[rule]\nname = "gd"\n'


def test_a_byte_order_mark_is_named(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    with pytest.raises(SceneError, match=r"bom.toml: .*byte order mark \(BOM\).*without BOM"):
        load_scene(find_scene(str(path)))
    path.write_text(GOOD)  # the same text without it is a good scene
    assert load_scene(path)[0].potential.name == "bowl"


def test_a_symlink_loop_and_a_dangling_link_are_named(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    os.symlink(b, a)
    os.symlink(a, b)
    with pytest.raises(SceneError, match="a symbolic link that loops back on itself"):
        find_scene(str(a))
    d = tmp_path / "d.toml"
    os.symlink(tmp_path / "gone.toml", d)
    with pytest.raises(SceneError, match="points to .*gone.toml', which does not exist"):
        find_scene(str(d))
