"""Publishing: the bulk downloads (``export``; ``compiled``, the compiled files by year, rewritten only when they
change; ``downloads``, the tables and their fields' descriptions; ``tables``; ``datapackage``; ``countries``) and the
static report (``report``).

May import: the base, the stages below (raw, compile, normalize, compare) and this package.
"""
