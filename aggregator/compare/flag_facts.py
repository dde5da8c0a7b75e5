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
from collections.abc import Callable
from typing import Any, NamedTuple

import orjson
import psycopg

from aggregator.compare.redflags.delta import Contribution, contribution, merge
from aggregator.compare.redflags.files import PublisherSettings
from aggregator.compare.redflags.prepare import Issue, Preparer
from aggregator.compare.redflags.run import GROUPS, PARTY_ROLES, Result, Runner
from aggregator.compare.redflags.state import State, Tally
from aggregator.db import query

#: Compiled releases fetched from the server at a time.
BATCH = 500


class Counts(NamedTuple):
    """Facts counted: compiled releases, processes past Cardinal's exclusions, and those with issues of prepare."""

    releases: int = 0
    processes: int = 0
    issues: int = 0

    def changed_by(self, old: Counts, new: Counts) -> Counts:
        """These counts with ``old`` facts replaced by ``new`` ones."""
        return Counts(*(n + b - a for n, a, b in zip(self, old, new, strict=True)))


class Changed(NamedTuple):
    """A refresh of the changed releases: whether the main currency is still the same (else everything must be
    folded again: :func:`fold_all`), and the changed releases' facts counted before and after."""

    same_currency: bool
    old: Counts
    new: Counts


def fold_changed(
    conn: psycopg.Connection, runner: Runner, found: PublisherSettings, name: str, publisher_id: int
) -> Changed:
    """Fold the publisher's compiled releases marked changed (taking the marks) with its main currency. Fills
    ``flag_changed``."""
    params = {"publisher": name, "publisher_id": publisher_id}
    before = main_currency(conn, found, params)
    conn.execute(query("compare/red_flags", "select_changed_releases"), params)
    conn.execute(query("compare/red_flags", "analyze_changed_releases"))
    sums = Sums()
    rows = conn.execute(query("compare/red_flags", "select_changed_sums")).fetchall()
    for row in rows:
        if not row["excluded"] and (row["parties"] or row["tallies"]):
            sums.add(orjson.loads(row["parties"] or "{}"), orjson.loads(row["tallies"] or "{}"), -1)
    old = Counts(len(rows), sum(not r["excluded"] for r in rows), sum(r["has_issues"] for r in rows))
    conn.execute(query("compare/red_flags", "delete_changed_facts"))
    new = _fold(conn, runner, found, name, "select_changed_bodies", {}, lambda _: before, sums=sums)
    sums.write(conn, name)
    conn.execute(query("compare/red_flags", "delete_gone_sums"), params)
    return Changed(main_currency(conn, found, params) == before, old, new)


class Sums:
    """What the changed releases add to their publisher's sums (their new less their old): how many releases name
    each party (``red_flag_party``), and each tally (``red_flag_tally``)."""

    def __init__(self) -> None:
        self.parties: Counter[tuple[str, str]] = Counter()
        self.tallies: dict[tuple[str, str], list[int]] = {}

    def add(self, references: dict[str, list[str]], tallies: dict[str, list[list[Any]]], sign: int) -> None:
        """A release's parties (``parties``) and tallies (``tallies``), as stored, added with ``sign``."""
        for role, identifiers in references.items():
            for identifier in identifiers:
                self.parties[role, identifier] += sign
        for tally, values in tallies.items():
            for key, numerator, denominator in values:
                found = self.tallies.setdefault((tally, key), [0, 0])
                found[0] += sign * numerator
                found[1] += sign * denominator

    def write(self, conn: psycopg.Connection, name: str) -> None:
        """Add the sums to the publisher's (rows at 0 go after: ``delete_gone_sums``)."""
        parties = [(role, identifier, n) for (role, identifier), n in sorted(self.parties.items()) if n]
        if parties:
            roles, identifiers, deltas = (list(column) for column in zip(*parties, strict=True))
            params = {"publisher": name, "roles": roles, "party_ids": identifiers, "deltas": deltas}
            conn.execute(query("compare/red_flags", "add_parties"), params)
        tallies = [(tally, key, n, d) for (tally, key), (n, d) in sorted(self.tallies.items()) if n or d]
        if tallies:
            names, keys, numerators, denominators = (list(column) for column in zip(*tallies, strict=True))
            params = {"publisher": name, "tallies": names, "keys": keys, "numerators": numerators}
            conn.execute(query("compare/red_flags", "add_tallies"), params | {"denominators": denominators})


def fold_all(
    conn: psycopg.Connection, runner: Runner, found: PublisherSettings, name: str, publisher_id: int
) -> Counts:
    """Fold every compiled release of the publisher again, in OCID order: the main currency is the first one
    compared (or the settings' ``currency``), as Cardinal finds it over one file. Return its facts, counted."""
    conn.execute(query("compare/red_flags", "delete_publisher_facts"), {"publisher": name})
    conn.execute(query("compare/red_flags", "clear_changed_releases"), {"publisher_id": publisher_id})
    main = [found.settings.currency]

    def currency(folded: Contribution | None) -> str | None:
        if folded is not None and main[0] is None:
            main[0] = folded.currency
        return main[0]

    params = {"publisher_id": publisher_id}
    sums = Sums()
    counts = _fold(
        conn, runner, found, name, "select_compiled_bodies", params, currency, merged=runner.state, sums=sums
    )
    conn.execute(query("compare/red_flags", "delete_sums"), {"publisher": name})
    sums.write(conn, name)
    return counts


def _fold(
    conn: psycopg.Connection,
    runner: Runner,
    found: PublisherSettings,
    name: str,
    block: str,
    params: dict[str, Any],
    currency: Callable[[Contribution | None], str | None],
    merged: State | None = None,
    sums: Sums | None = None,
) -> Counts:
    """Stream the bodies of ``block`` (with ``id``, ``ocid``, ``data_id``, ``body``) in OCID order, prepare and
    fold each (``currency(previous contribution)`` gives the main currency), and store the facts in batches; with
    ``merged``, add each to that state too (all of a publisher's, in OCID order: no need to read them back); with
    ``sums``, add each's parties and tallies. Return the facts written, counted."""
    preparer = Preparer(found.settings)
    folded: Contribution | None = None
    releases = processes = with_issues = 0
    with conn.cursor("red_flag_fold") as cursor:
        cursor.execute(query("compare/red_flags", block), params)
        while rows := cursor.fetchmany(BATCH):
            facts = []
            for row in rows:
                prepared, issues = preparer(orjson.loads(row["body"]), in_place=True)
                folded = contribution(runner, prepared, currency(folded))
                parts = Parts(folded.own_json(), folded.shared(), folded.tallies_json())
                facts.append(fact_row(row, name, folded, parts, issues))
                releases += 1
                processes += not folded.excluded
                with_issues += bool(issues)
                if sums is not None and not folded.excluded:
                    sums.add(folded.references, parts.tallies or {}, 1)
                if merged is not None and not folded.excluded:
                    merge(merged, prepared["ocid"], parts.own, parts.shared, parts.tallies, folded.ratio)
            with conn.cursor() as writer, writer.copy(query("compare/red_flags", "copy_facts")) as copy:
                for fact in facts:
                    copy.write_row(fact)
    return Counts(releases, processes, with_issues)


class Parts(NamedTuple):
    """A contribution's parts as JSON, made once per release (for its fact row, the tallies' sums and the state)."""

    own: list[list[Any]] | None
    shared: dict[str, Any] | None
    tallies: dict[str, list[list[Any]]] | None


def fact_row(
    row: dict[str, Any], name: str, folded: Contribution, parts: Parts, issues: list[Issue]
) -> tuple[Any, ...]:
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
        *(None if value is None else orjson.dumps(value).decode() for value in (parts.own, parts.shared)),
        None if references is None else orjson.dumps(references).decode(),
        None if parts.tallies is None else orjson.dumps(parts.tallies).decode(),
        *(folded.ratio or (None, None, None)),
        None if found is None else orjson.dumps(found).decode(),
    )


def main_currency(conn: psycopg.Connection, found: PublisherSettings, params: dict[str, Any]) -> str | None:
    if found.settings.currency is not None:
        return found.settings.currency
    row = conn.execute(query("compare/red_flags", "select_main_currency"), params).fetchone()
    return None if row is None else row["currency"]


def indicators(conn: psycopg.Connection, runner: Runner, name: str, whole: bool, counts: Counts) -> Result:
    """The publisher's indicators from its facts (``counts``: counted): fences and parties' flags over every
    release, the flags of their own of the changed releases (with ``whole``, all of them were merged as they were
    folded)."""
    state = runner.state
    if not whole:
        add_contributions(conn, state, name)
        add_tallies(conn, state, name)
    for indicator in runner.indicators:
        indicator.finalize(state)
    found = conn.execute(query("compare/red_flags", "select_party_counts"), {"publisher": name}).fetchone()
    parties = {role: found["parties"].get(role, 0) for role in PARTY_ROLES}
    results = {group: state.results[group] for group in GROUPS if state.results.get(group)}
    return Result(results, state.meta, None, state.details, counts.processes, parties)


def add_contributions(conn: psycopg.Connection, state: State, name: str) -> None:
    """What every release gives the fences and the parties' flags, and the changed releases their own flags, as
    :func:`merge` would add them in OCID order (read as one row of arrays)."""
    with conn.cursor(binary=True) as cursor:
        row = cursor.execute(query("compare/red_flags", "select_fence_inputs"), {"publisher": name}).fetchone()
    ratio_ocids = row["ratio_ocids"]
    state.second_lowest_bid_ratios.update(zip(ratio_ocids, row["ratios"], strict=True))
    pairs = zip(row["winners"], row["seconds"], strict=True)
    state.winner_and_lowest_non_winner.update(zip(ratio_ocids, pairs, strict=True))
    for ocid, own, shared in zip(row["ocids"], row["own"], row["shared"], strict=True):
        merge(state, ocid, own and orjson.loads(own), shared and orjson.loads(shared))


def add_tallies(conn: psycopg.Connection, state: State, name: str) -> None:
    """The publisher's tallies, summed (``red_flag_tally``), in key order (a row of arrays per tally)."""
    with conn.cursor(binary=True) as cursor:
        rows = cursor.execute(query("compare/red_flags", "select_tallies"), {"publisher": name}).fetchall()
    for row in rows:
        tallies: dict[str, Tally] = getattr(state, row["tally"])
        tallies.update(zip(row["keys"], map(Tally, row["numerators"], row["denominators"]), strict=True))
