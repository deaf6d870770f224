"""Particle laws: Newton's law with friction and heat, Nesterov's ODE, a marble on the surface z = V.
Each module declares its RuleSpec; imports sim.rules' framework."""
