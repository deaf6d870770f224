"""The instrument panels: the registry of panels, their layout, each panel's drawing.
Imports render.look, render.map, render.hud and sim."""
