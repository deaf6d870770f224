"""The update rules: one module per rule in classic/, torch_optim/, beyond/, physics/, each declaring
its RuleSpec (base.py); registry.py lists them. Imports sim.support only."""
