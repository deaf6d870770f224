"""The pygame side: the window, the headless picture, input. Only this package imports pygame."""
