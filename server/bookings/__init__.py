"""Bookings: the write path guarded by the exclusion constraint, and their transitions."""
