"""Process keys: an OCID with a registered prefix (``ocds-`` and six characters) names one process wherever it is
published, so it is its own key; any other OCID (``10``, ``PC-0001``, ``ocds-a1234567-…``) is namespaced by its
publisher. Prefixes are allocated in lower case: an upper-case prefix is read as the same prefix."""

from __future__ import annotations

import re

from aggregator.normalize.values import Problem

_REGISTERED = re.compile(r"^(ocds-[a-z0-9]{6})-(.+)$", re.IGNORECASE)


def process_key(ocid: str, publisher: str, declared_prefixes: tuple[str, ...] = ()) -> tuple[str, str, Problem | None]:
    """(key, scope, problem): scope is ``global`` or ``publisher``."""
    match = _REGISTERED.match(ocid)
    if match:
        prefix = match.group(1).lower()
        problem = None
        if match.group(1) != prefix:
            problem = Problem("ocid_prefix_case", "info", "an OCID prefix in upper case was read in lower case", ocid)
        return f"{prefix}-{match.group(2)}", "global", problem
    for prefix in declared_prefixes:
        if prefix and ocid.startswith(prefix):
            return ocid, "global", None
    return f"{publisher}/{ocid}", "publisher", None
