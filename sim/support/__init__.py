"""Support with no physics: the one atomic file write, numbers as text, progress on a terminal.
Imports nothing else of the program."""
