"""The map: the landscape picture, the rule palette, projection to pixels, ball sprites, trails, arrows, the field, the pan region.
Imports render.look and sim."""
