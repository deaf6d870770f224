"""The control panel on the right: its widgets, sections, sliders and the data section.
Imports render.look, render.input.router and sim."""
