"""The ``ocds-atlas`` command: argument checks, outputs, notes, removal, progress, the database commands."""
