"""`--report OUT.json`: the numbers every shown panel displays at the last frame, as flat keys.

The panels draw from sim/readouts.py's dicts and record what they drew this frame
(`Instruments.readouts`); this module reads those records (or, for a panel that keeps none,
asks its readout with the panel's own arguments), so the report is what the student sees.
Keys: `hud.*` always; `stability.*`, `bridge.*`, `ledger.all.*` / `ledger.ball.*`, `heat.*`,
`data.*` (the data pane: source, n, task, and the chosen ball's T_eff and its parts) and `race`
(a list of {rule, loss, ...}) only for the panels that are on; `heat.sgd.*` while the heat
panel shows minibatch balls against Langevin at T_eff. Non-finite numbers are written null
(strict JSON).
"""
from __future__ import annotations

import json
import math
import os
from typing import Any

from render.panels.registry import REPORT_KEYS
from sim.instruments import readouts as R
from sim.data.sgd_heat import sgd_heat_readout
from sim.support.files import atomic_write

# what a panel's numbers are when it was not drawn this frame (heat: always computed afresh)
COMPUTED = {"heat": R.heat_readout, "twin": R.bridge_readout, "ledger": R.ledger_readout,
            "stability": lambda world: None}


def _clean(v: Any) -> Any:
    """JSON-safe: nan/inf -> None, numpy scalars -> Python, containers recursively."""
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _flatten(prefix: str, d: dict, out: dict) -> None:
    for k, v in d.items():
        if isinstance(v, dict) and k != "parameters":
            _flatten(f"{prefix}.{k}", v, out)
        else:
            out[f"{prefix}.{k}"] = v


def report(app) -> dict[str, Any]:
    """The flat report of the app's last frame (see the module docstring)."""
    out: dict[str, Any] = {}
    world = app.world
    hud = R.hud_readout(world)
    _flatten("hud", hud, out)
    for k, v in hud["parameters"].items():
        out[f"hud.parameters.{k}"] = v
    del out["hud.parameters"]
    ins = app.instruments
    drawn = ins.readouts
    for name, on in ins.states().items():
        if not on or name == "basins":
            continue
        if name == "race":
            entries = drawn.get("race")
            out["race"] = entries if entries is not None else R.race_readout(world)
            continue
        key = REPORT_KEYS.get(name)
        if key is None:
            continue
        got = drawn.get(name)
        if name not in COMPUTED:  # the data pane (drawn only on data landscapes), a new panel
            if isinstance(got, dict):
                _flatten(key, got, out)
            continue
        if name == "heat" or not isinstance(got, dict):
            got = COMPUTED[name](world)
        if got is None:  # the stability panel with nothing under the cursor
            out[f"{key}.target"] = None
            continue
        _flatten(key, got, out)
        if name == "heat" and (sgd := _sgd_drawn(drawn, world)) is not None:
            _flatten("heat.sgd", sgd, out)  # the SGD view (render/heat_sgd_ui.py)
    out.update(app.instruments.maps.readout())  # plane.*, phase.*, edge.*, breaks.*, modified.*
    return _clean(out)


def _sgd_drawn(drawn: dict, world) -> dict | None:
    """The heat panel's SGD view as drawn this frame (its chosen ball's rule), else computed
    for the current rule (sim.data.sgd_heat.sgd_heat_readout); None: no SGD view."""
    got = drawn.get("heat")
    return got if isinstance(got, dict) else sgd_heat_readout(world)


def write_report(app, path: str | os.PathLike) -> str | None:
    """Write report(app) to path as JSON, atomically (a temporary file, then a rename).
    Returns a one-line problem, or None."""
    data = json.dumps(report(app), indent=1, sort_keys=True, allow_nan=False)
    try:
        atomic_write(path, (data + "\n").encode("utf-8"))
    except OSError as err:
        return f"--report: cannot write '{path}': {err.strerror}"
    return None
