"""Text on the map: the HUD, its plots, toasts, the caption card, the help overlay.
Imports render.look, render.input.router (the key table) and sim."""
