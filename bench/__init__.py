"""Load generator and benchmarks for the booking server: ``python -m bench``."""
