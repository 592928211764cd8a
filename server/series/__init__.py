"""Recurring series: every occurrence booked in one transaction, or none."""
