"""A resource's blocking bookings as an iCalendar (RFC 5545) feed."""
