"""Free and busy time of a resource: working hours in its zone minus blocking bookings."""
