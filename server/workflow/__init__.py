"""Workflow: per-tenant clocks (escalation, expiry, reminders, completion) and the timers
that apply them to bookings."""
