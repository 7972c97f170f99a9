"""Package data: the 32 x 32 camera image of ``groupconv demo``."""
