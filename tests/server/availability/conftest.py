from tests.server.bookings.conftest import db

__all__ = ["db"]
