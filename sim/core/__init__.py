"""The core of the simulation: particles, the world and its tick, the clock, events, physical quantities.
Imports sim.rules and sim.landscapes (a data landscape makes its own minibatch sampler)."""
