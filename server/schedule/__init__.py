"""One consistent snapshot of resources and bookings for a dashboard, with its seq."""
