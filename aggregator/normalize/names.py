"""Organization names as keys: case, accents, punctuation and legal forms (S.A. de C.V., Ltd, SARL…) removed."""

from __future__ import annotations

import re
import unicodedata

#: Legal forms, as word sequences after accents and dots are removed, dropped at the end of a name.
TRAILING_FORMS = tuple(
    tuple(form.split())
    for form in (
        "sa de cv", "s de rl de cv", "sapi de cv", "sab de cv", "s de rl", "s en c", "sas", "sa", "sc", "sarl",
        "srl", "sl", "ltda", "lda", "unipessoal lda", "ltd", "limited", "plc", "llp", "llc", "inc", "corp",
        "gmbh", "ag", "bv", "nv", "spa", "cjsc", "ojsc", "spy", "eurl", "sasu", "cia ltda", "eirl", "saci",
        "saeca", "sae", "ac", "iap", "co",
    )
)  # fmt: skip
#: Legal forms written before the name (Ukrainian and Russian abbreviations).
LEADING_FORMS = frozenset({"тов", "пп", "чп", "фоп", "пат", "прат", "ат", "ооо", "зао", "оао", "кп", "дп"})  # noqa: RUF001
_DOTTED = re.compile(r"(?<=\w)\.(?=\w)|(?<=\b\w)\.")  # the dots of S.A. and C.V.


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def simple(name: str) -> str:
    """The name with only case and spacing normalized."""
    return " ".join(name.casefold().split())


def normalize(name: str) -> str:
    """The name's key text: lower case, no accents, no punctuation, no legal form; '' when nothing is left."""
    text = strip_accents(name.casefold()).replace("\ufffd", "").replace("&", " and ")
    text = _DOTTED.sub("", text)
    words = re.sub(r"[^\w\s]", " ", text).split()
    while words and words[0] in LEADING_FORMS and len(words) > 1:
        words = words[1:]
    changed = True
    while changed:
        changed = False
        for form in TRAILING_FORMS:
            if len(words) > len(form) and tuple(words[-len(form) :]) == form:
                words, changed = words[: -len(form)], True
    return " ".join(words)


def name_key(country: str, name: str) -> tuple[str, str] | None:
    """(key, method) for a name within a country: ``name_exact`` when only case and spacing were normalized."""
    normalized = normalize(name)
    if not normalized:
        return None
    method = "name_exact" if normalized == simple(name) else "name_normalized"
    return f"name/{country}/{normalized}", method
