"""Files: scenes and lessons on screen, the scene picker, saving, recording (names, GIF, the recorder).
Imports render.look, render.hud and sim."""
