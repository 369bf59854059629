"""The pure correlation core: standard library and `schemas` only, no I/O."""
