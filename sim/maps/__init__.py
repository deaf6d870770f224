"""Maps of why: exact rates of every rule's one-step map, the hyperparameter plane, where the step breaks, the modified loss.
Imports sim.core, sim.rules, sim.landscapes, sim.support."""
