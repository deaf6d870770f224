"""The layout of the program's packages, checked from the source: no import cycles (lazy
imports included), no module over 400 lines, no folder of more than 12 modules, no re-export
lines, no import of another module's private name, no capability probes on landscapes; and
no test module that imports another test module (shared helpers live in tests/support)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOTS = ("sim", "render", "cli")
MAX_LINES = 400
MAX_MODULES = 12


def modules() -> dict[str, Path]:
    out = {}
    for top in ROOTS:
        for p in (ROOT / top).rglob("*.py"):
            name = ".".join(p.relative_to(ROOT).with_suffix("").parts)
            out[name.removesuffix(".__init__")] = p
    out["main"] = ROOT / "main.py"
    return out


def imports_of(name: str, path: Path, mods: dict[str, Path]) -> tuple[set[str], list[str]]:
    """The program's modules this one imports (anywhere in it) and the private names it takes."""
    tree = ast.parse(path.read_text())
    out, private = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in mods}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                full = f"{node.module}.{a.name}"
                if full in mods:
                    out.add(full)
                elif node.module in mods:
                    out.add(node.module)
                    if a.name.startswith("_") and not a.name.startswith("__"):
                        private.append(f"{name} imports {node.module}.{a.name}")
    out.discard(name)
    return out, private


def test_the_import_graph_has_no_cycle_and_takes_no_private_name():
    mods = modules()
    graph, private = {}, []
    for name, path in mods.items():
        graph[name], p = imports_of(name, path, mods)
        private += p
    assert not private, private
    # a package's __init__ is imported with its modules; a cycle through one is still a cycle
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(v: str) -> None:
        state[v] = 1
        stack.append(v)
        for w in sorted(graph[v]):
            if state.get(w) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(w):] + [w]))
            if w not in state:
                visit(w)
        stack.pop()
        state[v] = 2

    for v in sorted(graph):
        if v not in state:
            visit(v)


def test_sim_never_imports_render_or_pygame():
    mods = modules()
    for name, path in mods.items():
        if name.startswith("sim"):
            text = path.read_text()
            assert not re.search(r"^\s*(import|from)\s+(render|pygame)\b", text, re.M), name


def test_no_module_is_over_400_lines_and_no_folder_over_12_modules():
    mods = modules()
    long = {n: len(p.read_text().splitlines()) for n, p in mods.items()}
    assert {n: k for n, k in long.items() if k > MAX_LINES} == {}
    folders: dict[Path, int] = {}
    for p in mods.values():
        if p.name != "__init__.py":
            folders[p.parent] = folders.get(p.parent, 0) + 1
    assert {str(f.relative_to(ROOT)): k for f, k in folders.items() if k > MAX_MODULES} == {}


def test_every_package_says_what_its_room_is_for():
    for top in ROOTS:
        for init in (ROOT / top).rglob("__init__.py"):
            doc = ast.get_docstring(ast.parse(init.read_text()))
            assert doc and len(doc.split()) >= 6, f"{init.relative_to(ROOT)} says nothing"


def test_no_re_export_lines_and_no_capability_probes():
    probe = re.compile(r"(getattr|hasattr)\((pot|potential|world\.potential|w\.potential|self\.potential)\b")
    for name, path in modules().items():
        text = path.read_text()
        assert "noqa: F401" not in text.replace("import imageio  # noqa: F401", "").replace(
            "import imageio_ffmpeg  # noqa: F401", ""), f"{name} re-exports names"
        assert not probe.search(text), f"{name} probes a landscape by name"


# the packages of sim/, lowest first: a module imports only from its own package or a lower one
SIM_ORDER = ("support", "rules", "landscapes", "core", "maps", "instruments", "data", "runtime", "scene")


# what the command line may read of render/ before a window exists: numbers and names only
PYGAME_FREE = ("render", "render.view3d", "render.view3d.camera", "render.panels", "render.panels.registry")


def _package(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "sim" and len(parts) > 1 else parts[0]


def test_imports_follow_the_package_direction_lazy_ones_included():
    mods = modules()
    rank = {f"sim.{p}": i for i, p in enumerate(SIM_ORDER)}
    assert set(rank) == {_package(n) for n in mods if n.startswith("sim.")}, "a sim package is not ranked"
    against = []
    for name, path in mods.items():
        a = _package(name)
        for other in imports_of(name, path, mods)[0]:
            b = _package(other)
            if a == b:
                continue
            if a in rank and (b not in rank or rank[b] > rank[a]):
                against.append(f"{name} -> {other}")
            elif a == "render" and b in ("cli", "main"):
                against.append(f"{name} -> {other}")
            elif a == "cli" and b == "render" and name != "cli.window" and other not in PYGAME_FREE:
                against.append(f"{name} -> {other}")
    assert against == []


def _code_lines_naming(word: str, tops: tuple[str, ...]) -> dict[str, list[str]]:
    """module -> the string constants in its code that name `word` ("word", or "group.word" as
    in the rule registry), dict keys (`d["word"]`, the dump's and the readouts' fields) aside."""
    out: dict[str, list[str]] = {}
    for name, path in modules().items():
        if not name.startswith(tops):
            continue
        text = path.read_text()
        tree = ast.parse(text)
        keys = {id(n.slice) for n in ast.walk(tree) if isinstance(n, ast.Subscript)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in keys:
                continue
            v = node.value
            if v == word or (v.endswith(f".{word}") and v.count(".") == 1 and " " not in v):
                out.setdefault(name, []).append(ast.get_source_segment(text, node) or "")
    return out


def test_adding_a_panel_took_its_own_file_one_registry_line_and_one_key():
    """The loss panel (Ctrl+G) was added the way ARCHITECTURE.md says: its module
    render/panels/loss_panel.py (its numbers in sim/instruments/loss_curve.py), one Instrument
    line in render/panels/registry.py and one Binding in render/input/keys.py. Nothing else in
    render/ or cli/ names it: the --show choices, the control panel's button, the initial
    state and the --report prefix all come from the registry."""
    named = _code_lines_naming("loss", ("render", "cli"))
    assert sorted(named) == ["render.input.keys", "render.panels.loss_panel", "render.panels.registry"], named
    assert len(named["render.input.keys"]) == 1
    assert named["render.panels.registry"] == ['"loss"', '"loss"']  # its name and its --report prefix


def test_adding_a_rule_took_its_own_file_and_one_registry_line():
    """lion and sam (added this round) are named, outside their own modules, only by their line
    in sim/rules/registry.py; their options, buttons, chips, colours and help follow from the spec."""
    for rule, own in (("lion", "sim.rules.beyond.lion"), ("sam", "sim.rules.beyond.sam")):
        named = _code_lines_naming(rule, ("sim", "render", "cli"))
        assert sorted(named) == sorted({own, "sim.rules.registry"}), named
        assert named["sim.rules.registry"] == [f'"beyond.{rule}"']
def test_no_test_module_imports_another_test_module():
    """What tests share lives in fixture modules (tests/support/*, tests/conftest.py, the
    harnesses beside it), never in another test_*.py: a test module imported by another runs
    its set-up twice and ties the two files' contents together."""
    found = sorted((ROOT / "tests").rglob("test_*.py"))
    assert found
    names = {".".join(p.relative_to(ROOT).with_suffix("").parts) for p in found}
    names |= {p.stem for p in found}  # as imported through a folder put on sys.path
    bad = []
    for path in found:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                taken = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # a relative import: from the module's own package (or above)
                    pkg = path.relative_to(ROOT).parents[node.level - 1].parts
                    base = ".".join([*pkg, base] if base else pkg)
                taken = [base] + [f"{base}.{a.name}" if base else a.name for a in node.names]
            else:
                continue
            bad += [f"{path.relative_to(ROOT)}:{node.lineno} imports {t}" for t in taken if t in names]
    assert not bad, bad
