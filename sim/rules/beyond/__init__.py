"""Optimizers beyond torch.optim, each against its reference code: Lion, SAM, schedule-free SGD and AdamW.
Each module declares its RuleSpec; imports sim.rules' framework."""
