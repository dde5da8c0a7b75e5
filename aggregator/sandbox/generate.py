"""Pure generator of the sandbox publishers' data: (publisher, seed) -> releases, records.

Deterministic: every draw comes from a ``random.Random`` seeded with a string (seeding by string hashes with
SHA-512, unaffected by PYTHONHASHSEED); no wall clock, no set iteration. The faults placed in the data itself (an
undated release in ``xa``, a release without ``ocid`` in ``xb``) are described in ``publishers``; the faults of
transport (truncated page, HTTP 500) belong to the server.
"""

import copy
import functools
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

from aggregator.sandbox.organizations import Organization, buyers, central_entity, suppliers
from aggregator.sandbox.publishers import SANDBOX_PUBLISHERS, Publisher
from aggregator.sandbox.render import Bid, Process, render_process
from aggregator.sandbox.vocabulary import (
    CURRENCY_PER_USD,
    DIRECT_RATIONALES,
    ITEM_KINDS,
    METHOD_DETAILS,
    TITLE_TEMPLATES,
    ItemKind,
)

DEFAULT_SEED = 20240201
METHODS = ("open", "selective", "limited", "direct")
CATEGORIES = ("goods", "services", "works")
CATEGORY_WEIGHTS = (0.5, 0.32, 0.18)


@dataclass(frozen=True)
class Context:
    """What every process of one publisher draws from."""

    publisher: Publisher
    buyers: list[Organization]
    buyer_weights: list[float]  # cumulative, Zipf-like
    single_bid_propensity: list[float]  # per buyer
    favourites: list[list[Organization]]  # per buyer: suppliers it tends to award without competition
    suppliers: list[Organization]
    supplier_weights: list[float]  # cumulative, Zipf-like
    central: Organization


def zipf(count: int, exponent: float) -> list[float]:
    return list(accumulate(1 / rank**exponent for rank in range(1, count + 1)))


def make_context(publisher: Publisher, seed: int) -> Context:
    rng = random.Random(f"{seed}:{publisher.key}:context")
    buyer_list = buyers(publisher, seed)
    supplier_list = suppliers(publisher, seed)
    supplier_weights = zipf(len(supplier_list), 0.9)
    propensity = [rng.uniform(0.35, 0.7) if rng.random() < 0.15 else rng.uniform(0.04, 0.22) for _ in buyer_list]
    favourites = [rng.choices(supplier_list, cum_weights=supplier_weights, k=3) for _ in buyer_list]
    return Context(
        publisher=publisher,
        buyers=buyer_list,
        buyer_weights=zipf(len(buyer_list), 0.9),
        single_bid_propensity=propensity,
        favourites=favourites,
        suppliers=supplier_list,
        supplier_weights=supplier_weights,
        central=central_entity(publisher, seed),
    )


def at_work(day: date, rng: random.Random) -> datetime:
    """A time of the working day, on ``day``."""
    return datetime.combine(day, time(rng.randrange(8, 19), rng.randrange(60), rng.randrange(60)))


def later(moment: datetime, low: int, high: int, rng: random.Random) -> datetime:
    """A working-day time between ``low`` and ``high`` days after ``moment`` (at least one day later)."""
    return at_work(moment.date() + timedelta(days=rng.randint(max(low, 1), max(high, 1))), rng)


def tender_days(method: str, rng: random.Random) -> int | None:
    """Length of the tender period; under 15 days for some open procedures, none for direct awards."""
    if method == "open":
        return rng.randint(5, 14) if rng.random() < 0.15 else rng.randint(15, 45)
    if method == "selective":
        return rng.randint(10, 30)
    if method == "limited":
        return rng.randint(5, 15)
    return None


def draw_dates(method: str, planning: datetime, rng: random.Random) -> dict[str, datetime]:
    dates = {"planning": planning, "tender": later(planning, 7, 60, rng)}
    days = tender_days(method, rng)
    dates["tender_end"] = later(dates["tender"], days, days, rng) if days else dates["tender"]
    dates["cancelled"] = later(dates["tender"], 5, 40, rng)
    dates["unsuccessful"] = later(dates["tender_end"], 5, 30, rng)
    dates["award"] = later(dates["tender_end"], 1, 10, rng) if not days else later(dates["tender_end"], 5, 60, rng)
    dates["signed"] = later(dates["award"], 3, 25, rng)
    dates["contract_start"] = later(dates["signed"], 1, 15, rng)
    dates["contract_end"] = later(dates["contract_start"], 30, 720, rng)
    dates["amendment_1"] = later(dates["signed"], 20, 200, rng)
    dates["amendment_2"] = later(dates["amendment_1"], 20, 200, rng)
    return dates


def draw_items(
    publisher: Publisher, category: str, currency: str, rng: random.Random
) -> tuple[list[ItemKind], list[dict[str, Any]]]:
    kinds = [kind for kind in ITEM_KINDS if kind.category == category]
    chosen = rng.sample(kinds, rng.choices((1, 2, 3), weights=(6, 3, 1))[0])
    items = []
    for number, kind in enumerate(chosen, 1):
        unit_price = round(rng.uniform(*kind.price) * CURRENCY_PER_USD[currency], 2)
        code, description = kind.cpv if publisher.classification == "CPV" else kind.unspsc
        unit_code, unit_names = kind.unit
        language = publisher.country.language
        unit: dict[str, Any] = {"name": unit_names[language], "value": {"amount": unit_price, "currency": currency}}
        if publisher.ocds_version != "1.0":
            unit = {"scheme": "UNCEFACT", "id": unit_code, **unit}
        items.append(
            {
                "id": str(number),
                "description": kind.words[language].capitalize(),
                "classification": {"scheme": publisher.classification, "id": code, "description": description},
                "quantity": rng.randint(*kind.quantity),
                "unit": unit,
            }
        )
    return chosen, items


def number_of_tenderers(method: str, propensity: float, rng: random.Random) -> int:
    if method == "direct":
        return 1
    if method == "limited":
        return rng.choice((1, 1, 2, 3))
    if rng.random() < propensity:
        return 1
    extra = min(int(rng.expovariate(0.45)), 4 if method == "selective" else 10)
    return 2 + extra


def draw_tenderers(ctx: Context, buyer_index: int, count: int, method: str, rng: random.Random) -> list[Organization]:
    chosen: list[Organization] = []
    if method in ("direct", "limited") and rng.random() < 0.5:
        chosen.append(rng.choice(ctx.favourites[buyer_index]))
    while len(chosen) < count:
        supplier = rng.choices(ctx.suppliers, cum_weights=ctx.supplier_weights)[0]
        if supplier not in chosen:
            chosen.append(supplier)
    return chosen


def draw_outcome(method: str, rng: random.Random) -> str:
    draw = rng.random()
    if draw < 0.05:
        return "cancelled"
    if draw < 0.09 and method != "direct":
        return "unsuccessful"
    if draw < 0.15:
        return "awarded"
    return "contracted"


def draw_bids(
    tenderers: list[Organization], outcome: str, estimate: float, bid_date: datetime, rng: random.Random
) -> list[Bid]:
    bids = []
    for tenderer in tenderers:
        disqualified = outcome == "unsuccessful" or (len(tenderers) > 1 and rng.random() < 0.12)
        amount = round(estimate * rng.uniform(0.72, 1.18), 2)
        bids.append(Bid(tenderer, amount, "disqualified" if disqualified else "valid", bid_date))
    if bids and outcome != "unsuccessful" and all(bid.status == "disqualified" for bid in bids):
        bids[0] = Bid(bids[0].tenderer, bids[0].amount, "valid", bid_date)
    return bids


def draw_awards(bids: list[Bid], method: str, rng: random.Random) -> list[tuple[Organization, float]]:
    """Winners and awarded amounts: the lowest valid bid, or two lots for some competitive processes."""
    valid = sorted((bid for bid in bids if bid.status == "valid"), key=lambda bid: (bid.amount, bid.tenderer.name))
    if method in ("open", "selective") and len(valid) >= 2 and rng.random() < 0.1:
        share = rng.uniform(0.35, 0.65)
        return [
            (valid[0].tenderer, round(valid[0].amount * share, 2)),
            (valid[1].tenderer, round(valid[1].amount * (1 - share), 2)),
        ]
    return [(valid[0].tenderer, valid[0].amount)]


def draw_amendments(outcome: str, rng: random.Random) -> list[float]:
    """Factors applied in turn to the first contract's value."""
    if outcome != "contracted" or rng.random() >= 0.15:
        return []
    count = 2 if rng.random() < 0.3 else 1
    return [rng.uniform(1.05, 1.6) if rng.random() < 0.7 else rng.uniform(0.7, 0.97) for _ in range(count)]


def draw_currency(publisher: Publisher, rng: random.Random) -> str:
    if publisher.other_currencies and rng.random() < publisher.foreign_share:
        return rng.choice(publisher.other_currencies)
    return publisher.currency


def plan_process(ctx: Context, number: int, planning: datetime, rng: random.Random) -> Process:
    publisher = ctx.publisher
    language = publisher.country.language
    buyer_index = rng.choices(range(len(ctx.buyers)), cum_weights=ctx.buyer_weights)[0]
    buyer = ctx.buyers[buyer_index]
    central = publisher.level == "national" and rng.random() < 0.15
    method = rng.choices(METHODS, weights=publisher.method_weights)[0]
    category = rng.choices(CATEGORIES, weights=CATEGORY_WEIGHTS)[0]
    currency = draw_currency(publisher, rng)
    kinds, items = draw_items(publisher, category, currency, rng)
    estimate = round(sum(item["quantity"] * item["unit"]["value"]["amount"] for item in items), 2)
    what = kinds[0].words[language]
    title = TITLE_TEMPLATES[category][language].format(what=what, What=what.capitalize(), place=buyer.locality)
    dates = draw_dates(method, planning, rng)
    outcome = draw_outcome(method, rng)
    count = number_of_tenderers(method, ctx.single_bid_propensity[buyer_index], rng)
    tenderers = [] if outcome == "cancelled" else draw_tenderers(ctx, buyer_index, count, method, rng)
    bids = draw_bids(tenderers, outcome, estimate, dates["tender_end"] - timedelta(hours=2), rng)
    return Process(
        ocid=f"{publisher.ocid_prefix}-{number:06d}",
        number=number,
        buyer=buyer,
        entity=ctx.central if central else buyer,
        category=category,
        title=title,
        items=items,
        method=method,
        details=rng.choice(METHOD_DETAILS[language][method]),
        rationale=rng.choice(DIRECT_RATIONALES[language]) if method == "direct" else None,
        currency=currency,
        estimate=estimate,
        publish_estimate=rng.random() >= 0.05,
        outcome=outcome,
        dates=dates,
        bids=bids,
        awards=draw_awards(bids, method, rng) if outcome in ("awarded", "contracted") else [],
        publish_award_values=rng.random() >= 0.03,
        amendment_factors=draw_amendments(outcome, rng),
        has_planning=rng.random() < 0.6,
    )


def planning_dates(publisher: Publisher, rng: random.Random) -> list[datetime]:
    """One planning date per process, spread over the publisher's years, in order."""
    span = (publisher.last_day - publisher.first_day).days
    days = sorted(rng.randint(0, span) for _ in range(publisher.processes))
    return [at_work(publisher.first_day + timedelta(days=day), rng) for day in days]


def release_sort_key(release: dict[str, Any]) -> tuple[str, str, str]:
    """Order of publication: date, then ocid, then id (undated releases and releases without ocid first)."""
    return release.get("date", ""), release.get("ocid", ""), release["id"]


def generate_releases(publisher: Publisher, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """Every release of the publisher, faults in the data included, in order of publication."""
    ctx = make_context(publisher, seed)
    rng = random.Random(f"{seed}:{publisher.key}:processes")
    releases: list[dict[str, Any]] = []
    for number, planning in enumerate(planning_dates(publisher, rng), 1):
        releases.extend(render_process(publisher, plan_process(ctx, number, planning, rng)))
    place_data_faults(publisher, releases)
    releases.sort(key=release_sort_key)
    return releases


def place_data_faults(publisher: Publisher, releases: list[dict[str, Any]]) -> None:
    faults = publisher.faults
    for release in list(releases):
        if release["id"] == faults.undated_release_id:
            del release["date"]
        if release["id"] == faults.missing_ocid_release_id:
            copied = copy.deepcopy(release)
            del copied["ocid"]
            releases.append(copied)


def generate_records(publisher: Publisher, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """One record per OCID, in OCID order, with the embedded releases and a compiled release."""
    return records_from_releases(generate_releases(publisher, seed))


def records_from_releases(releases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group releases into records (the releases are embedded as they are, not copied)."""
    by_ocid: dict[str, list[dict[str, Any]]] = {}
    for release in releases:
        by_ocid.setdefault(release["ocid"], []).append(release)
    return [
        {"ocid": ocid, "releases": by_ocid[ocid], "compiledRelease": compile_releases(by_ocid[ocid])}
        for ocid in sorted(by_ocid)
    ]


def compile_releases(releases: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge dated releases in date order: objects merged key by key, arrays of objects with ``id`` merged by
    ``id``, anything else replaced. Enough for the sandbox's data, whose merge needs no other schema rule."""
    ordered = sorted(releases, key=release_sort_key)
    compiled: dict[str, Any] = {}
    for release in ordered:
        merge_into(compiled, release)
    compiled["id"] = f"{ordered[-1]['ocid']}-{ordered[-1]['date']}"
    compiled["tag"] = ["compiled"]
    return compiled


def merge_into(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merge_into(current, value)
        elif isinstance(value, list) and isinstance(current, list) and identified(value) and identified(current):
            positions = {item["id"]: index for index, item in enumerate(current)}
            for item in value:
                if item["id"] in positions:
                    merge_into(current[positions[item["id"]]], item)
                else:
                    positions[item["id"]] = len(current)
                    current.append(copy.deepcopy(item))
        else:
            target[key] = copy.deepcopy(value)


def identified(values: list[Any]) -> bool:
    return bool(values) and all(isinstance(value, dict) and "id" in value for value in values)


@functools.cache
def cached_releases(key: str, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """``generate_releases`` once per process (shared by every server): treat the result as read-only."""
    return generate_releases(SANDBOX_PUBLISHERS[key], seed)


@functools.cache
def cached_records(key: str, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """``generate_records`` once per process: treat the result as read-only."""
    return records_from_releases(cached_releases(key, seed))
