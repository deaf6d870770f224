"""The classic optimizer rules: gradient descent, heavy-ball momentum and Nesterov, AdaGrad, RMSProp, Adam, Newton's method.
Each module declares its RuleSpec; imports sim.rules' framework and sim.core."""
