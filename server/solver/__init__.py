"""Assign demands to resources under every scheduling rule (CP-SAT), and verify them."""
