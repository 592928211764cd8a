"""SQL shipped with the code: ``migrations/NNNN_name.sql`` and named ``queries/*.sql``.

A package only so that a wheel carries these files as package data; see ``server/sql.py``.
"""
