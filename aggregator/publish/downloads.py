"""The tables of the downloads: what each holds, its key, how it joins the others, and every field's description.

Each table is a named query of ``sql/queries/publish/downloads.sql`` written as ``tables/<name>.csv.gz`` (exact
numbers) and ``tables/<name>.parquet`` (numbers as doubles); ``indicators`` goes to ``indicators.csv``; the tables
of processes (``by_part``) are written by publisher and year (``table_parts``). Rows are
keyed by values that survive a rebuild from the same inputs (publisher, OCID, positions, natural keys), never by
the database's ids. Field descriptions live in ``data/fields.csv`` (``*`` for a field that means the same in every
table that has it); :func:`describe` raises on a field without one, and a test checks every table.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from aggregator.errors import AtlasError

PROCESS_KEY = ("publisher", "ocid")


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    table: str  # the table referred to
    reference: tuple[str, ...]


@dataclass(frozen=True)
class Download:
    name: str  # the query's name and the files' stem
    description: str
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    formats: tuple[str, ...] = ("csv", "parquet")
    path: str = ""  # for a single file outside tables/ (indicators.csv)
    needs: str = ""  # a table that must exist for the query to run (else the download is left out)
    by_part: bool = False  # rows of one process each, written by publisher and year (publish/table_parts.py)


_TO_PUBLISHER = ForeignKey(("publisher",), "publisher", ("publisher",))
_TO_PROCESS = ForeignKey(PROCESS_KEY, "process", PROCESS_KEY)

DOWNLOADS: tuple[Download, ...] = (
    Download(
        "publisher",
        "Every publisher with data: its declaration (country, level, region, URL, licence, OCDS version, update "
        "frequency, OCID prefixes) and the dates its data cover.",
        ("publisher",),
    ),
    Download(
        "process",
        "One row per compiled release (a process as one publisher publishes it), normalized: buyer, procedure, "
        "tender period, tender value in USD, EUR and PPP dollars.",
        PROCESS_KEY,
        (_TO_PUBLISHER,),
        by_part=True,
    ),
    Download(
        "award",
        "The awards of each process, with suppliers and values converted.",
        (*PROCESS_KEY, "position"),
        (_TO_PROCESS,),
        by_part=True,
    ),
    Download(
        "contract",
        "The contracts of each process, with dates and values converted.",
        (*PROCESS_KEY, "position"),
        (_TO_PROCESS,),
        by_part=True,
    ),
    Download(
        "process_party",
        "The parties of each process with their roles and organization key.",
        (*PROCESS_KEY, "position"),
        (_TO_PROCESS, ForeignKey(("org_key",), "organization", ("org_key",))),
        by_part=True,
    ),
    Download(
        "organization_identifier",
        "Every identifier each party gives, as published and as cleaned.",
        (*PROCESS_KEY, "party_position", "position"),
        (ForeignKey((*PROCESS_KEY, "party_position"), "process_party", (*PROCESS_KEY, "position")),),
        by_part=True,
    ),
    Download(
        "organization",
        "Organizations across processes and publishers, one per key (identifier, else name within a country).",
        ("org_key",),
    ),
    Download(
        "processes",
        "Processes across countries, one row each: country, publisher and its level, year (tender period's start, "
        "else release date), buyer, procedure, and the tender's, awards' and contracts' amounts in USD, EUR and "
        "PPP dollars. Count rows with is_primary to count each process once.",
        PROCESS_KEY,
        (_TO_PUBLISHER,),
        by_part=True,
    ),
    Download(
        "field_coverage",
        "Quality: per publisher, the share of processes that publish each key field the indicators read.",
        ("publisher", "field"),
        (_TO_PUBLISHER,),
    ),
    Download(
        "quality_check",
        "Quality: per publisher, consistency checks of the compiled data, with pass and fail counts and failing OCIDs.",
        ("publisher", "check_id"),
        (_TO_PUBLISHER,),
    ),
    Download(
        "red_flag",
        "Cardinal's red flags, computed per publisher: a process's (its ocid) or a party's (ocid empty; party_role "
        "buyer, procuringEntity or tenderer, and party_id); details (JSON) holds Cardinal's value and what raised "
        "the flag.",
        ("publisher", "ocid", "code", "party_role", "party_id"),
        (_TO_PUBLISHER,),
        needs="red_flag",
    ),
    Download(
        "indicators",
        "Indicator values per country, publisher or buyer and year, with sample size and missing share.",
        ("indicator", "level", "country", "publisher", "buyer_org_key", "year"),
        formats=("csv",),
        path="indicators.csv",
    ),
)


@cache
def field_descriptions() -> dict[tuple[str, str], str]:
    text = resources.files("aggregator.publish").joinpath("data/fields.csv").read_text(encoding="utf-8")
    return {(row["table"], row["field"]): row["description"] for row in csv.DictReader(text.splitlines())}


#: Tables whose fields, where they have no description of their own, mean what they mean in another table.
DESCRIBED_LIKE = {"processes": "process"}


def describe(table: str, name: str) -> str:
    """A field's description: the table's own, else its model's (``DESCRIBED_LIKE``), else the one shared by every
    table (``*``)."""
    descriptions = field_descriptions()
    found = (
        descriptions.get((table, name))
        or descriptions.get((DESCRIBED_LIKE.get(table, table), name))
        or descriptions.get(("*", name))
    )
    if found is None:
        raise AtlasError(f"the field {table}.{name} has no description in aggregator/publish/data/fields.csv")
    return found
