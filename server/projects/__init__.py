"""Projects bookings are charged to, with an optional budget of hours."""
