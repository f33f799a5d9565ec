"""The cases layer: what customers submit and do, stored in one SQLite database.

Rule: ``db`` is the only module that imports sqlite-utils; no Flask (the web layer hands in a
connection and the request's fields); bad input raises ``fields.ValidationError`` naming each
field, which the web edge turns into a 400.
"""
