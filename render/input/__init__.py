"""Input: the key table, the router of events to commands, the formula editor.
Imports render.look and sim."""
