"""TOML scenes: the schema, world to dict and back, the writer, file I/O, presets, big arrays, saving in the background.
Imports everything in sim/ but render."""
