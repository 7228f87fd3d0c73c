"""Trigram indexes for the admin's token search, on PostgreSQL: an optional app.

Add ``"django_pat.trigram"`` to ``INSTALLED_APPS`` (after ``"django_pat"``)
and run ``migrate``. It installs PostgreSQL's ``pg_trgm`` extension, if it is
not there yet, and builds ``CONCURRENTLY`` (without locking writes) GIN
trigram indexes on the token's name and display prefix and on the user
model's username and email: the columns the admin's search looks into with
``LIKE '%…%'``, which no ordinary index serves. Without them the search
works the same, reading the whole table instead.

``CREATE EXTENSION pg_trgm`` needs a role allowed to create it (``pg_trgm``
is a trusted extension: the database's owner may, since PostgreSQL 13); if
yours may not, have an administrator run it first, and the migration
creates only the indexes. On other databases the migration does nothing.
``migrate django_pat_trigram zero`` drops the indexes (not the extension).
"""
