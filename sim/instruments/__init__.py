"""The numbers behind the panels, one module per instrument, each as one dict the panels and --report read.
Imports sim.core, sim.rules, sim.landscapes, sim.maps, sim.support."""
