from tests.server.bookings.conftest import db, statements

__all__ = ["db", "statements"]
