"""The application: the App that composes everything, the loop, the guard, the frame's draw order, --report.
Imports every other room of render/ and sim/."""
