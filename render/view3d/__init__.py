"""The landscape in 3D: the surface z = height(V) over the map's view, orbited by a camera.

`camera` (pure math, no pygame): the orbit camera, the orthographic projection, the
world <-> box mapping and the ray that meets the surface. `surface` (numpy): the height grid and
its lit, iso-lined colours, made with the map's own shading and colormap. `raster` (numpy):
the column raster with a y-buffer. `draw` (pygame): the cached picture, the balls on it.
`ui`: the map / 3D / side-by-side modes, the mouse in the 3D view.

The balls move in the plane under -grad V; the surface is a picture of V, not a track they
roll on (a marble on z = V obeys other equations).
"""
