"""26 stand-in rules across 6 groups, built here from the old rules' specs (each steps as the
old rule it copies), to lay out the control panel, Tab, help and race chips for 20+ rules.
`install(monkeypatch)` or `install_for_good()` adds them to the live registry."""
from __future__ import annotations

import dataclasses

from sim.rules import registry

# name, group, colour, the old rule it steps as; colours as the new rules' branches declare them
NEW = (
    ("adamw", "adaptive", (255, 120, 160), "adam"), ("nadam", "adaptive", (255, 160, 120), "adam"),
    ("radam", "adaptive", (220, 130, 255), "adam"), ("adamax", "adaptive", (255, 200, 230), "adam"),
    ("adadelta", "adaptive", (150, 200, 255), "rmsprop"), ("rprop", "adaptive", (120, 255, 210), "adagrad"),
    ("asgd", "gradient", (200, 200, 200), "gd"), ("adafactor", "adaptive", (255, 235, 150), "rmsprop"),
    ("lbfgs", "quasi-newton", (120, 200, 255), "newton_method"), ("muon", "adaptive", (255, 150, 90), "momentum"),
    ("lion", "adaptive", (255, 170, 40), "adam"), ("sam", "momentum", (120, 200, 255), "momentum"),
    ("sgd_schedulefree", "momentum", (150, 230, 150), "momentum"),
    ("adamw_schedulefree", "adaptive", (230, 130, 230), "adam"), ("marble", "newton", (120, 200, 255), "newton"),
    ("sgd_nesterov_x", "momentum", (240, 240, 120), "nesterov"),
)
GROUPS = ("gradient", "momentum", "adaptive", "newton", "second order", "quasi-newton")


def specs() -> list:
    """The 16 stand-ins (with the 10 old rules: 26 in 6 groups)."""
    return [dataclasses.replace(registry.get(base), name=name, group=group, color=color, chip="")
            for name, group, color, base in NEW]


def install(monkeypatch) -> list[str]:
    for s in specs():
        monkeypatch.setitem(registry.specs(), s.name, s)
    return list(registry.names())


def install_for_good() -> list[str]:
    for s in specs():
        registry.specs()[s.name] = s
    return list(registry.names())
