"""The timeline strip and scrubbing.
Imports render.look, render.hud and sim."""
