"""The runtime the window drives: commands, balls, partners, the timeline, step readouts, plot series.
Imports sim.core, sim.rules, sim.landscapes, sim.instruments, sim.maps, sim.data, sim.support."""
