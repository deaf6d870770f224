"""The update rules: one module per rule (or small family), each declaring everything about
itself that the program needs (see base.py). May import sim.support-level modules only."""
