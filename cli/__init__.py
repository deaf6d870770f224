"""The command line: the argument parser, building the world from arguments, the headless --steps run.
Imports sim; only cli.window imports render (lazily: --steps never loads pygame)."""
