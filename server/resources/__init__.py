"""Bookable things: people, rooms, equipment, with skills and weekly working hours."""
