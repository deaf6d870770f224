"""A user's formula V(x, y): parsed (never eval-ed), differentiated exactly, evaluated over arrays.
Imports sim.landscapes.base and sim.support only."""
