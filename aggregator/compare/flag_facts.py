"""Red flag facts: what each compiled release gives Cardinal's indicators (``red_flag_fact``, migration 0033),
folded alone after ``prepare`` (:mod:`aggregator.compare.redflags.delta`), and the publisher's indicators made
again from them.

A publisher's refresh folds only the compiled releases whose body changed (and forgets those gone), with the
main currency the facts had before; when the main currency is not the same after (the first release that
compares a currency changed), or the settings changed, every release of the publisher is folded again, in OCID
order, as Cardinal reads one file. Then the fences and the parties' flags are made from the stored contributions
(no body read), and only the flags a change can touch are written again: see :mod:`aggregator.compare.red_flags`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import psycopg

from aggregator.compare.redflags.delta import Contribution, contribution, merge
from aggregator.compare.redflags.files import PublisherSettings
from aggregator.compare.redflags.prepare import Issue, Preparer
from aggregator.compare.redflags.run import GROUPS, PARTY_ROLES, Result, Runner
from aggregator.compare.redflags.state import State
from aggregator.db import query

#: Compiled releases fetched from the server at a time, and contributions.
BATCH = 500
CONTRIBUTIONS = 5000


def fold_changed(
    conn: psycopg.Connection, runner: Runner, found: PublisherSettings, name: str, publisher_id: int
) -> bool:
    """Fold the publisher's changed compiled releases with its main currency; return whether the main currency
    is still the same (else everything must be folded again: :func:`fold_all`). Fills ``flag_changed``."""
    params = {"publisher": name, "publisher_id": publisher_id}
    before = main_currency(conn, found, params)
    conn.execute(query("compare/red_flags", "select_changed_releases"), params)
    conn.execute(query("compare/red_flags", "analyze_changed_releases"))
    parties: Counter[tuple[str, str]] = Counter()
    for row in conn.execute(query("compare/red_flags", "select_changed_parties")):
        count_parties(parties, orjson.loads(row["parties"]), -1)
    conn.execute(query("compare/red_flags", "delete_changed_facts"))
    _fold(conn, runner, found, name, "select_changed_bodies", {}, lambda _: before, parties=parties)
    add_parties(conn, name, parties)
    conn.execute(query("compare/red_flags", "delete_gone_parties"), params)
    return main_currency(conn, found, params) == before


def count_parties(parties: Counter[tuple[str, str]], references: dict[str, list[str]], sign: int) -> None:
    """Add ``sign`` to the count of each (role, party id) that a release references."""
    for role, identifiers in references.items():
        for identifier in identifiers:
            parties[role, identifier] += sign


def add_parties(conn: psycopg.Connection, name: str, parties: Counter[tuple[str, str]]) -> None:
    """Add the changed releases' counts (new less old) to the publisher's parties; those at 0 go after."""
    changed = [(role, identifier, n) for (role, identifier), n in sorted(parties.items()) if n]
    if changed:
        roles, identifiers, deltas = (list(column) for column in zip(*changed, strict=True))
        params = {"publisher": name, "roles": roles, "party_ids": identifiers, "deltas": deltas}
        conn.execute(query("compare/red_flags", "add_parties"), params)


def fold_all(conn: psycopg.Connection, runner: Runner, found: PublisherSettings, name: str, publisher_id: int) -> None:
    """Fold every compiled release of the publisher again, in OCID order: the main currency is the first one
    compared (or the settings' ``currency``), as Cardinal finds it over one file."""
    conn.execute(query("compare/red_flags", "delete_publisher_facts"), {"publisher": name})
    main = [found.settings.currency]

    def currency(folded: Contribution | None) -> str | None:
        if folded is not None and main[0] is None:
            main[0] = folded.currency
        return main[0]

    params = {"publisher_id": publisher_id}
    _fold(conn, runner, found, name, "select_compiled_bodies", params, currency, merged=runner.state)
    conn.execute(query("compare/red_flags", "delete_parties"), {"publisher": name})
    conn.execute(query("compare/red_flags", "count_all_parties"), {"publisher": name})


def _fold(
    conn: psycopg.Connection,
    runner: Runner,
    found: PublisherSettings,
    name: str,
    block: str,
    params: dict[str, Any],
    currency: Callable[[Contribution | None], str | None],
    merged: State | None = None,
    parties: Counter[tuple[str, str]] | None = None,
) -> None:
    """Stream the bodies of ``block`` (with ``id``, ``ocid``, ``data_id``, ``body``) in OCID order, prepare and
    fold each (``currency(previous contribution)`` gives the main currency), and store the facts in batches; with
    ``merged``, add each to that state too (all of a publisher's, in OCID order: no need to read them back); with
    ``parties``, count the parties each references."""
    preparer = Preparer(found.settings)
    folded: Contribution | None = None
    with conn.cursor("red_flag_fold") as cursor:
        cursor.execute(query("compare/red_flags", block), params)
        while rows := cursor.fetchmany(BATCH):
            facts = []
            for row in rows:
                prepared, issues = preparer(orjson.loads(row["body"]), in_place=True)
                folded = contribution(runner, prepared, currency(folded))
                facts.append(fact_row(row, name, folded, issues))
                if parties is not None and not folded.excluded:
                    count_parties(parties, folded.references, 1)
                if merged is not None and not folded.excluded:
                    merge(merged, prepared["ocid"], folded.own_json(), folded.shared())
            with conn.cursor() as writer, writer.copy(query("compare/red_flags", "copy_facts")) as copy:
                for fact in facts:
                    copy.write_row(fact)


def fact_row(row: dict[str, Any], name: str, folded: Contribution, issues: list[Issue]) -> tuple[Any, ...]:
    """A row of ``red_flag_fact`` in the order of ``copy_facts``."""
    found = [[i.ocid, i.path, i.indexes, i.value, i.description] for i in issues] or None
    references = folded.references or None
    return (
        row["id"],
        name,
        row["ocid"],
        row["data_id"],
        folded.excluded,
        folded.currency,
        *(None if value is None else orjson.dumps(value).decode() for value in (folded.own_json(), folded.shared())),
        None if references is None else orjson.dumps(references).decode(),
        None if found is None else orjson.dumps(found).decode(),
    )


def main_currency(conn: psycopg.Connection, found: PublisherSettings, params: dict[str, Any]) -> str | None:
    if found.settings.currency is not None:
        return found.settings.currency
    row = conn.execute(query("compare/red_flags", "select_main_currency"), params).fetchone()
    return None if row is None else row["currency"]


def indicators(conn: psycopg.Connection, runner: Runner, name: str, whole: bool) -> tuple[Result, int]:
    """The publisher's indicators from its facts: fences and parties' flags over every release, the flags of
    their own of the changed releases (with ``whole``, all of them were merged as they were folded); and how many
    compiled releases it has."""
    state = runner.state
    if not whole:
        for ocid, own, shared in contributions(conn, name):
            merge(state, ocid, own, shared)
    for indicator in runner.indicators:
        indicator.finalize(state)
    counts = conn.execute(query("compare/red_flags", "select_fact_counts"), {"publisher": name}).fetchone()
    parties = {role: counts["parties"].get(role, 0) for role in PARTY_ROLES}
    results = {group: state.results[group] for group in GROUPS if state.results.get(group)}
    return Result(results, state.meta, None, state.details, counts["processes"], parties), counts["compiled_releases"]


def contributions(conn: psycopg.Connection, name: str) -> Iterator[tuple[str, Any, Any]]:
    with conn.cursor("red_flag_facts") as cursor:
        cursor.itersize = CONTRIBUTIONS
        cursor.execute(query("compare/red_flags", "select_contributions"), {"publisher": name})
        for row in cursor:
            own, shared = row["own"], row["shared"]
            yield row["ocid"], own and orjson.loads(own), shared and orjson.loads(shared)
