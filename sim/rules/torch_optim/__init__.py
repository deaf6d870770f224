"""The rest of torch.optim, each equal to torch's single-tensor step: AdamW, NAdam, RAdam, Adamax, Adadelta, Rprop, ASGD, Adafactor, L-BFGS, Muon.
Each module declares its RuleSpec; imports sim.rules' framework."""
