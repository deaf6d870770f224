"""The update rules, one module per rule (or small family): the room where everything the
program knows about a rule lives. Each module declares a `RuleSpec` (base.py): its name,
parameters with torch's names and defaults, state buffers, the vectorized step and the facts
the instruments ask for (its linear map on a quadratic, modified-loss coefficient,
noise-temperature factor, Newtonian reading), each of which may be None. registry.py lists the
modules in Tab order: adding a rule is one new module and one line there (plus its tests).
linear.py turns a linear map into rates, stability and curvature limits; cli.py makes the
command-line options from the ParamSpecs. Modules here import numpy and each other only (never
pygame, never the instruments)."""
