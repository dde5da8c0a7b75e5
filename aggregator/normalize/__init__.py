"""The normalized layer: compiled releases turned into comparable processes, awards, contracts and organizations.

The modules here are pure (values in, values out) except :mod:`register` and :mod:`rates`, which read their
tables once per process, and :mod:`refresh`, which reads and writes the database.
"""
