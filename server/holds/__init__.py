"""Holds: tentative reservations that block like bookings until they expire."""
