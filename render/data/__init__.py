"""The data pane: the data and every ball as a model, edits, the retrain's progress, the SGD heat view.
Imports render.look, render.hud and sim."""
