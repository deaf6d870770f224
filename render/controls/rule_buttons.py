"""The rule section of the control panel, grouped for many rules.

The registry's rules (sim/rules/registry.py) by their spec's `group`, the groups in the order
their first rule is registered, the rules in registry order inside a group. Each group has a
heading (click: open or collapse it; a collapsed one shows its rules' colour dots); an open
group's rules are small buttons flowed three cells to a row, a long name taking two or three
cells. Which groups are open is the panel's: the current rule's group, or every group where
the window is tall enough (`ControlPanel.draw`). Geometry is pure (no fonts): a name's width is
estimated from its length, and a label wider than its button ends in "…" when drawn.
"""
from __future__ import annotations

from typing import Any

import pygame

from sim.rules import registry

CELLS = 3  # button cells per row
ROW = 16  # pixels: a rule button's height (as the landscape buttons)
GAP = 3
HEAD_H = 14  # pixels: a group heading
CHAR_W = 7  # pixels per character of the panel's small font (estimate for the layout) ...
WIDE, NARROW = "mwMW", "iljtfr_. "  # ... 10 for these, 4 for these
CHIP = 6  # pixels: the colour chip at a button's left
BUTTON_PAD = 16  # pixels around a button's label: the chip, its gap and the rims


def groups() -> list[tuple[str, list[str]]]:
    """(group, rule names) in the registry's order of groups and rules."""
    out: dict[str, list[str]] = {}
    for name, spec in registry.specs().items():
        out.setdefault(spec.group, []).append(name)
    return list(out.items())


def group_of(name: str) -> str | None:
    try:
        return registry.get(name).group
    except KeyError:
        return None


def label_width(label: str) -> int:
    """A label's estimated width in pixels in the small font."""
    return sum(10 if c in WIDE else 4 if c in NARROW else CHAR_W for c in label)


def span(label: str, cell: int) -> int:
    """How many cells (1..CELLS) a button needs for its label."""
    need = label_width(label) + BUTTON_PAD
    for k in range(1, CELLS):
        if need <= k * cell + (k - 1) * GAP:
            return k
    return CELLS


def rule_rows(out: list, widget, x: int, y: int, w: int, current: str,
              open_groups: frozenset[str] | None, key_of) -> int:
    """Append the group headings and rule buttons from y down; returns the y below them.

    widget(kind, rect, label, action, lit, key, color, colors) builds a control-panel Widget;
    open_groups None: only the current rule's group is open."""
    from render.look.theme import RULE_COLORS, UNKNOWN_RULE_COLOR
    from render.input.keys import Cmd

    if open_groups is None:
        open_groups = frozenset({group_of(current)})
    cell = (w - (CELLS - 1) * GAP) // CELLS
    for group, names in groups():
        is_open = group in open_groups
        colors = tuple(RULE_COLORS.get(n, UNKNOWN_RULE_COLOR) for n in names)
        out.append(widget("group", pygame.Rect(x, y, w, HEAD_H), group, ("group", group),
                          current in names, "", None, () if is_open else colors, is_open, len(names)))
        y += HEAD_H
        if not is_open:
            continue
        col = 0
        for name in names:
            k = span(name, cell)
            if col + k > CELLS:
                col, y = 0, y + ROW + GAP
            r = pygame.Rect(x + col * (cell + GAP), y, k * cell + (k - 1) * GAP, ROW)
            out.append(widget("rule", r, name, (Cmd.RULE, name), name == current,
                              key_of(Cmd.RULE, name) or "Tab", RULE_COLORS.get(name, UNKNOWN_RULE_COLOR)))
            col += k
        y += ROW + GAP
    return y


def draw_rule(surface: pygame.Surface, fonts, wdg: Any, text, dim, fit_text) -> None:
    """A rule button: its colour chip, its name; filled with the colour when it is the rule."""
    r = wdg.rect
    color = wdg.color or text
    if wdg.lit:
        pygame.draw.rect(surface, color, r, border_radius=5)
        ink = (14, 14, 20)
    else:
        pygame.draw.rect(surface, (70, 74, 92), r, width=1, border_radius=5)
        ink = text
    chip = pygame.Rect(r.x + 4, r.centery - CHIP // 2, CHIP, CHIP)
    pygame.draw.rect(surface, ink if wdg.lit else color, chip)
    label = fit_text(fonts.small, wdg.label, r.w - BUTTON_PAD)
    s = fonts.text(label, fonts.small, ink if wdg.lit else color)
    surface.blit(s, (chip.right + 3 + max(0, (r.right - 3 - chip.right - 3 - s.get_width()) // 2),
                     r.centery - s.get_height() // 2))


def draw_group(surface: pygame.Surface, fonts, wdg: Any, accent, dim, text) -> None:
    """A group heading: ▾/▸, its name and rule count; collapsed, its rules' colour dots (the
    current rule's group in the accent colour)."""
    r = wdg.rect
    mark = "▾" if wdg.value else "▸"
    s = fonts.text(f"{mark} {wdg.label}  {wdg.hi:g}", fonts.small, accent if wdg.lit else dim)
    surface.blit(s, (r.x, r.centery - s.get_height() // 2))
    x = r.x + s.get_width() + 8
    for c in wdg.colors:
        if x + CHIP > r.right:
            break
        pygame.draw.circle(surface, c, (x + CHIP // 2, r.centery), CHIP // 2)
        x += CHIP + 3
