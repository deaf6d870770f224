"""Numbers only: potentials, particles, update rules, the clock and the world. Never imports pygame."""
