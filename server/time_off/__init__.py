"""Time off: periods a resource is not available, guarded like bookings."""
