"""Numbers as the screen and the notices write them."""
from __future__ import annotations

import math


def fmt(v: float, digits: int = 4) -> str:
    """A number for the HUD: compact, minus as U+2212, "—" when not finite."""
    try:
        v = float(v)
    except (TypeError, ValueError):
        return "—"
    if not math.isfinite(v):
        return "—"
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e5 or a < 1e-3:
        s = f"{v:.{max(digits - 2, 1)}e}"
        mant, exp = s.split("e")
        s = f"{mant}e{int(exp)}"
    else:
        decimals = max(0, digits - 1 - int(math.floor(math.log10(a))))
        s = f"{v:.{decimals}f}"
        if "." in s:
            s = s.rstrip("0").rstrip(".")
    return s.replace("-", "\u2212")
