"""Landscapes: the Potential base, the built-in functions, a user's formula, suggested steps.
Imports sim.rules (the step-size families) and sim.support; the catalog with the data landscapes is sim.data.catalog."""
