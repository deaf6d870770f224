"""The look: theme colours and spacing, text and panel widgets, the colormap, world-to-pixel views, the camera.
Imports sim.support only."""
