"""Per-scheme clean-up of organization identifiers, so that one organization gets one key however it is written.

Every identifier loses surrounding space and a repeated scheme prefix (``EC-RUC-1768152560001`` under EC-RUC).
Then the scheme's rule, where it has one, puts it in its register's canonical form and checks it (format, check
digit); the rules follow the examples of the org-id.guide register's lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: The outcome of a clean-up: the canonical identifier, or None and why ("format", "check_digit", "placeholder").
Cleaned = tuple[str | None, str | None]

PLACEHOLDERS = frozenset({"N/A", "NA", "NULL", "NONE", "-", "S/N", "SN", "SIN DATO", "NO APLICA", "XAXX010101000",
                          "XEXX010101000"})  # fmt: skip
_RFC = re.compile(r"^([A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3})(?:-[A-Z0-9-]+)?$")


def clean(scheme: str, rule: str | None, value: str) -> Cleaned:
    """``value`` under ``scheme`` in canonical form, by the scheme's own rule or, for extra schemes, ``rule``."""
    text = " ".join(value.split())
    if text.upper().startswith(f"{scheme}-"):
        text = text[len(scheme) + 1 :]
    upper = text.upper()
    if not text or upper in PLACEHOLDERS or upper.startswith("SIN DATO") or set(upper) <= {"0", "-", ".", " "}:
        return None, "placeholder"
    function = RULES.get(rule or scheme)
    return function(text) if function else (text, None)


def _digits(text: str, remove: str = " .-") -> str:
    return text.translate(str.maketrans("", "", remove))


def paraguay_ruc(text: str) -> Cleaned:
    """``80023118-0``: the number and its check digit (computed when missing)."""
    match = re.match(r"^(\d{1,9})(?:-(\d))?$", _digits(text, " ."))
    if not match:
        return None, "format"
    number, given = match.groups()
    digit = str(paraguay_check_digit(number))
    if given is not None and given != digit:
        return None, "check_digit"
    return f"{number}-{digit}", None


def paraguay_check_digit(number: str) -> int:
    """The SET's modulo 11 check digit, weights 2 to 11 from the right."""
    total = sum(int(char) * (2 + position % 10) for position, char in enumerate(reversed(number)))
    remainder = total % 11
    return 11 - remainder if remainder > 1 else 0


def mexico_rfc(text: str) -> Cleaned:
    """12 (companies) or 13 (persons) characters; a Compranet unit suffix (``-011000993``) is dropped."""
    upper = text.upper().replace(" ", "")
    match = _RFC.match(upper) or _RFC.match(_digits(upper, "-."))
    return (match.group(1), None) if match else (None, "format")


def ukraine_edr(text: str) -> Cleaned:
    """EDRPOU: 8 digits (leading zeros restored) with its check digit; 10 digits for a person's tax number."""
    digits = _digits(text)
    if not digits.isdigit() or len(digits) > 10 or len(digits) == 9:
        return None, "format"
    if len(digits) == 10:
        return digits, None
    digits = digits.zfill(8)
    return (digits, None) if edrpou_valid(digits) else (None, "check_digit")


def edrpou_valid(code: str) -> bool:
    number = int(code)
    weights = [1, 2, 3, 4, 5, 6, 7] if number < 30000000 or number > 60000000 else [7, 1, 2, 3, 4, 5, 6]
    for extra in (0, 2):
        remainder = sum(int(d) * (w + extra) for d, w in zip(code[:7], weights, strict=True)) % 11
        if remainder < 10:
            return remainder == int(code[7])
    return int(code[7]) == 0


def portugal_nipc(text: str) -> Cleaned:
    """NIPC/NIF: 9 digits with a modulo 11 check digit; a ``PT`` prefix is dropped."""
    digits = _digits(text.upper().removeprefix("PT"))
    if not re.fullmatch(r"\d{9}", digits):
        return None, "format"
    remainder = sum(int(d) * (9 - i) for i, d in enumerate(digits[:8])) % 11
    check = 0 if remainder < 2 else 11 - remainder
    return (digits, None) if check == int(digits[8]) else (None, "check_digit")


def uk_company(text: str) -> Cleaned:
    """Companies House: 8 characters, zero-padded (``1234567`` → ``01234567``, ``SC12345`` → ``SC012345``)."""
    upper = _digits(text.upper(), " ")
    if re.fullmatch(r"\d{1,8}", upper):
        return upper.zfill(8), None
    match = re.fullmatch(r"([A-Z]{2})(\d{1,6})", upper)
    return (match.group(1) + match.group(2).zfill(6), None) if match else (None, "format")


def colombia_nit(text: str) -> Cleaned:
    """NIT without its check digit (``800.101.684-3`` → ``800101684``); a given check digit must be right."""
    digits = _digits(text, " .")
    match = re.fullmatch(r"(\d{5,10})-(\d)", digits)
    if match:
        number, given = match.groups()
        return (number, None) if colombia_check_digit(number) == int(given) else (None, "check_digit")
    if not re.fullmatch(r"\d{5,10}", digits):
        return None, "format"
    if len(digits) == 10 and colombia_check_digit(digits[:9]) == int(digits[9]):
        return digits[:9], None  # nine digits and the check digit, without the dash
    return digits, None


def colombia_check_digit(number: str) -> int:
    weights = (3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71)
    remainder = sum(int(d) * w for d, w in zip(reversed(number), weights, strict=False)) % 11
    return remainder if remainder < 2 else 11 - remainder


def ecuador_ruc(text: str) -> Cleaned:
    """13 digits; SERCOP appends its own supplier number (``1768152560001-236009``), which is dropped."""
    match = re.fullmatch(r"(\d{13})(?:-\d+)?", _digits(text, " ."))
    return (match.group(1), None) if match else (None, "format")


def honduras_rtn(text: str) -> Cleaned:
    digits = _digits(text)
    return (digits, None) if re.fullmatch(r"\d{14}", digits) else (None, "format")


def digits8(text: str) -> Cleaned:
    digits = _digits(text)
    return (digits, None) if re.fullmatch(r"\d{8}", digits) else (None, "format")


def luhn14(text: str) -> Cleaned:
    """14 digits passing the Luhn check (as France's SIRET)."""
    digits = _digits(text)
    if not re.fullmatch(r"\d{14}", digits):
        return None, "format"
    total = sum(int(d) if i % 2 == 0 else sum(divmod(int(d) * 2, 10)) for i, d in enumerate(reversed(digits)))
    return (digits, None) if total % 10 == 0 else (None, "check_digit")


RULES: dict[str, Callable[[str], Cleaned]] = {
    "PY-RUC": paraguay_ruc,
    "MX-RFC": mexico_rfc,
    "UA-EDR": ukraine_edr,
    "PT-NIPPC": portugal_nipc,
    "GB-COH": uk_company,
    "CO-NIT": colombia_nit,
    "CO-RUE": colombia_nit,  # the unified register (RUES) numbers companies by their NIT
    "EC-RUC": ecuador_ruc,
    "HN-RTN": honduras_rtn,
    "digits8": digits8,
    "luhn14": luhn14,
}
