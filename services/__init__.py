"""The LOS services; each sub-package runs as its own process."""
