"""Each rule's colour on the map, and the shades that tell lanes of one rule apart."""
from __future__ import annotations

from render.look.theme import RULE_COLORS, UNKNOWN_RULE_COLOR


# later rules with a name already taken (race lanes of one rule with other parameters, twins)
# get these shades of the rule's colour: (mix with white or black, how much)
SHADES = (("white", 0.5), ("black", 0.4), ("white", 0.75), ("black", 0.6))


def shade_of(color: tuple[int, int, int], k: int) -> tuple[int, int, int]:
    """The k-th colour of a rule: k = 0 the rule's own, then lighter and darker shades."""
    if k <= 0:
        return tuple(color)
    toward, amount = SHADES[(k - 1) % len(SHADES)]
    target = 255 if toward == "white" else 0
    out = tuple(int(round(c + (target - c) * amount)) for c in color)
    if max(abs(a - b) for a, b in zip(out, color)) < 60:  # white can't get lighter: go darker
        out = tuple(int(round(c + ((255 - target) - c) * amount)) for c in color)
    return out


def rule_palette(rules) -> list[tuple[int, int, int]]:
    """Colour of each rule id (World.rules order): the rule's colour for the first rule of
    each name, shades of it for later ones, so lanes that differ only in parameters (the
    overdamped lesson's three masses) can be told apart."""
    seen: dict[str, int] = {}
    out = []
    for r in rules:
        k = seen.get(r.name, 0)
        seen[r.name] = k + 1
        out.append(shade_of(RULE_COLORS.get(r.name, UNKNOWN_RULE_COLOR), k))
    return out
