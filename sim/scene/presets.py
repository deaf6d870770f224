"""The lessons and saved scenes: their folder, their order, and finding one by name or path."""
from __future__ import annotations

import errno
import os
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib
from pathlib import Path

from sim.scene.schema import SUFFIX, SceneError
from sim.scene.values import suggest


SCENES_DIR = Path(__file__).resolve().parents[2] / "assets" / "scenes"
# the lessons in teaching order (Ctrl+O cycles in this order; other presets follow by name)
LESSON_ORDER = (
    "ravine_gd_vs_momentum",
    "momentum_is_newton",
    "overdamped_limit",
    "adam_rosenbrock",
    "heat_escape",
    "euler_vs_verlet",
    "himmelblau_basins",
    "force_not_momentum",
    "condition_number",
    "energy_never_rises",
    "escape_rate",
    "adam_never_settles",
    "lbfgs_few_costly_ticks",
    "newtons_method_vs_newtons_law",
    "fit_a_line",
    "sgd_is_hot",
    "network_slice",
    "marble_on_the_wall",
    "adamw_vs_l2",
    "lion_constant_speed",
    "sam_flat_minimum",
)


# =============================================================================================
# Presets
# =============================================================================================

def _preset_files() -> list[Path]:
    files = sorted(SCENES_DIR.glob(f"*{SUFFIX}")) if SCENES_DIR.is_dir() else []
    rank = {name: i for i, name in enumerate(LESSON_ORDER)}
    return sorted(files, key=lambda f: (rank.get(f.stem, len(rank)), f.stem))


def list_presets() -> list[tuple[str, str]]:
    """(name, title) of every preset in assets/scenes, lessons first in teaching order."""
    out = []
    for f in _preset_files():
        try:
            title = tomllib.loads(f.read_text(encoding="utf-8")).get("scene", {}).get("title", "")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError):
            title = "(unreadable)"
        out.append((f.stem, str(title)))
    return out


def _broken_link(p: Path) -> str:
    """Why a symbolic link leads to no file: a loop, or a target that is not there."""
    try:
        p.resolve(strict=True)
    except RuntimeError:  # Python < 3.13: "Symlink loop"
        return "loops back on itself"
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "loops back on itself"
        return f"points to {os.readlink(p)!r}, which does not exist"
    return "leads to no file"


def find_scene(name_or_path: str | os.PathLike) -> Path:
    """A scene file: the path itself if it exists, else the preset of that name. SceneError if neither."""
    text = os.fspath(name_or_path)
    p = Path(text).expanduser()
    if p.is_file():
        return p
    stem = text[: -len(SUFFIX)] if text.endswith(SUFFIX) else text
    if stem and "/" not in stem and os.sep not in stem:
        cand = SCENES_DIR / f"{stem}{SUFFIX}"
        if cand.is_file():
            return cand
    names = [f.stem for f in _preset_files()]
    if p.exists():
        raise SceneError(f"{text}: not a scene file (a folder?)")
    if p.is_symlink():
        why = _broken_link(p)
        raise SceneError(f"{text}: a symbolic link that {why}")
    raise SceneError(f"no scene file or preset named '{text}'{suggest(stem, names)}; "
                     f"presets: {', '.join(names) or '(none found)'}")
