"""Publishing: the bulk downloads (``export``, ``tables``, ``datapackage``) and the static report (``report``).

May import: the base, the stages below (raw, compile, normalize, compare) and this package.
"""
