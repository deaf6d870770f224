"""Maps of why on screen: the hyperparameter plane, the phase portrait, the breaks and modified-loss overlays.
Imports render.look, render.map and sim."""
