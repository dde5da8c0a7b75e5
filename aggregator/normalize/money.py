"""Money: the published amount and currency kept as they are, beside the amount in USD, EUR and PPP dollars.

Each converted value carries its rate (currency units per USD and per EUR), the rate's date and its source. An
unknown or invalid currency, an amount that cannot be read, or a date without a rate gives NULL conversions and a
problem, never 0.
"""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from aggregator.normalize.rates import Rate, RateTables
from aggregator.normalize.values import Problem, as_dict, raw

CENT = Decimal("0.01")
_PLAIN = re.compile(r"^-?\d+(?:\.\d+)?$")
_ONE_GROUP = re.compile(r"^-?\d{1,3}[.,]\d{3}$")  # 1,234 or 1.234: a thousands separator or a decimal point?
_COMMA_GROUPS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_DOT_GROUPS = re.compile(r"^-?\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
_COMMA_DECIMAL = re.compile(r"^-?\d+,\d+$")

MONEY_COLUMNS = (
    "amount_raw",
    "currency_raw",
    "amount",
    "currency",
    "reference_date",
    "reference_date_source",
    "amount_usd",
    "amount_eur",
    "rate_usd",
    "rate_eur",
    "rate_date",
    "rate_source",
    "amount_ppp",
    "ppp_factor",
    "ppp_year",
)


def parse_amount(value: Any) -> tuple[Decimal | None, Problem | None]:
    """A published amount as a Decimal; strings are read when unambiguous."""
    if value is None:
        return None, None
    if isinstance(value, bool | dict | list):
        return None, Problem("amount_invalid", "warning", "an amount that is not a number was left out", raw(value))
    if isinstance(value, int):
        return Decimal(value), None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None, Problem("amount_invalid", "warning", "an amount that is not a number was left out", raw(value))
        return Decimal(repr(value)), None
    return parse_amount_text(str(value))


def parse_amount_text(value: str) -> tuple[Decimal | None, Problem | None]:
    text = value.strip().replace("\u00a0", "").replace(" ", "")
    if _ONE_GROUP.match(text):
        return None, Problem("amount_ambiguous", "warning", "an amount in text, 1,234 or 1.234, was left out", value)
    if _PLAIN.match(text):
        number = text
    elif _COMMA_GROUPS.match(text):
        number = text.replace(",", "")
    elif _DOT_GROUPS.match(text):
        number = text.replace(".", "").replace(",", ".")
    elif _COMMA_DECIMAL.match(text):
        number = text.replace(",", ".")
    else:
        return None, Problem("amount_invalid", "warning", "an amount that is not a number was left out", value)
    return Decimal(number), Problem("amount_text", "info", "an amount given as text was read as a number", value)


def parse_currency(value: Any, currencies: frozenset[str]) -> tuple[str | None, Problem | None]:
    """An ISO 4217 code (as the OCDS currency codelist has them), or None and a problem."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, Problem("currency_missing", "warning", "an amount without a currency was not converted")
    code = value.strip().upper() if isinstance(value, str) else None
    if code is None or code not in currencies:
        message = "an amount in an unknown currency was not converted"
        return None, Problem("currency_invalid", "warning", message, raw(value))
    return code, None


def money(
    value: Any,
    reference: tuple[date | None, str | None],
    country: str,
    currencies: frozenset[str],
    tables: RateTables,
) -> tuple[dict[str, Any], list[Problem]]:
    """The money columns of a published Value (``{amount, currency}``) at the reference date (date, its source)."""
    value = as_dict(value)
    columns: dict[str, Any] = dict.fromkeys(MONEY_COLUMNS)
    columns["amount_raw"], columns["currency_raw"] = raw(value.get("amount")), raw(value.get("currency"))
    amount, problem = parse_amount(value.get("amount"))
    problems = [problem] if problem else []
    columns["amount"] = amount
    if amount is None:
        return columns, problems
    currency, problem = parse_currency(value.get("currency"), currencies)
    columns["currency"] = currency
    columns["reference_date"], columns["reference_date_source"] = reference
    if problem:
        return columns, [*problems, problem]
    day = reference[0]
    if day is None:
        return columns, [*problems, Problem("reference_date_missing", "warning", "an amount without any date")]
    rate = tables.rate(currency, day)
    if rate is None:
        missing = Problem("rate_unavailable", "warning", "no rate for a currency and year", f"{currency} {day.year}")
        return columns, [*problems, missing]
    columns.update(converted(amount, rate))
    columns.update(ppp(amount, currency, rate, day, country, tables))
    return columns, problems


def converted(amount: Decimal, rate: Rate) -> dict[str, Any]:
    with localcontext() as context:
        context.prec = 50
        usd = (amount / rate.per_usd).quantize(CENT, ROUND_HALF_EVEN)
        eur = (amount / rate.per_eur).quantize(CENT, ROUND_HALF_EVEN)
    return {
        "amount_usd": usd,
        "amount_eur": eur,
        "rate_usd": rate.per_usd,
        "rate_eur": rate.per_eur,
        "rate_date": rate.day,
        "rate_source": rate.source,
    }


def ppp(amount: Decimal, currency: str, rate: Rate, day: date, country: str, tables: RateTables) -> dict[str, Any]:
    """International dollars: the amount in the country's currency over the year's PPP factor, where there is one."""
    factor = tables.ppp_factor(country, day.year)
    local = tables.country_currency.get(country)
    if factor is None or local is None:
        return {}
    if local != currency:
        local_rate = tables.rate(local, day)
        if local_rate is None:
            return {}
        amount = amount / rate.per_usd * local_rate.per_usd
    with localcontext() as context:
        context.prec = 50
        value = (amount / factor).quantize(CENT, ROUND_HALF_EVEN)
    return {"amount_ppp": value, "ppp_factor": factor, "ppp_year": day.year}
