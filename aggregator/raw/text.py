"""Bytes to text and text to JSON values and OCDS items, every problem returned as data. Pure.

- :func:`decode`: bytes → text (BOM, NUL bytes, given encoding, UTF-8, else detected encoding).
- :func:`iter_values`: text → JSON values (one document, JSON lines, or concatenated documents).
- :func:`at_root_path`: the OCDS inside another envelope.
- :func:`items_of_values`: JSON values → release and record items, numbered across a source.
- :func:`csv_text`, :class:`CsvRows`: rows → CSV text (the other way: what the CLI prints as CSV, the downloads).
"""

import codecs
import csv
import io
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, TextIO

import orjson

from aggregator.raw.depth import too_deep
from aggregator.raw.shapes import Item, Problem, iter_items

# Problems that read_source reports once per source, however many values or items cause them.
ONCE_PER_SOURCE = frozenset({"package_info_moved", "wrapper_unwrapped"})
UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_NON_WHITESPACE = re.compile(r"[^ \t\n\r]")
_NEXT_DOCUMENT = re.compile(r"\n(?=[\[{])")
_NON_ASCII_LINE = re.compile(rb"[^\n]*[\x80-\xff][^\n]*")


def decode(raw: bytes, encoding: str | None = None) -> tuple[str, list[Problem]]:
    """Decode bytes to text: strip a BOM; use ``encoding`` if given, else UTF-8, else a detected encoding.

    NUL characters are removed, as JSON text can't contain them.
    """
    problems: list[Problem] = []
    bom = raw.startswith(codecs.BOM_UTF8)
    if bom:
        raw = raw[len(codecs.BOM_UTF8) :]
        encoding = encoding or "utf-8"
    text = _to_text(raw, encoding, problems)
    if text.startswith("\ufeff"):
        text, bom = text[1:], True
    if bom:
        message = "A byte order mark was removed from the start of the text."
        problems.insert(0, Problem("info", "bom_removed", message, {}))
    nuls = text.count("\x00")
    if nuls:
        text = text.replace("\x00", "")
        message = f"{nuls} NUL characters were removed from the text."
        problems.append(Problem("warning", "nul_removed", message, {"count": nuls}))
    return text, problems


def _to_text(raw: bytes, encoding: str | None, problems: list[Problem]) -> str:
    if encoding:
        try:
            return raw.decode(encoding)
        except LookupError:
            message = f"The encoding {encoding!r} is unknown, so the encoding was detected instead."
            problems.append(Problem("warning", "unknown_encoding", message, {"encoding": encoding}))
        except UnicodeDecodeError as error:
            message = f"The text is not valid {encoding}; undecodable bytes were replaced."
            data = {"encoding": encoding, "position": error.start}
            problems.append(Problem("warning", "decode_errors", message, data))
            return raw.decode(encoding, errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        text = mostly_utf8(raw)
        if text is not None:
            message = "The text is mostly valid UTF-8; undecodable bytes were replaced."
            data = {"encoding": "utf-8", "position": error.start}
            problems.append(Problem("warning", "decode_errors", message, data))
            return text
        detected = detect(raw)
        message = f"The text is not valid UTF-8 and was decoded as {detected} (detected)."
        data = {"encoding": detected, "position": error.start}
        problems.append(Problem("warning", "encoding_detected", message, data))
        return raw.decode(detected, errors="replace")


def mostly_utf8(raw: bytes) -> str | None:
    """The text as UTF-8 if it has more valid non-ASCII characters than invalid bytes (mixed files)."""
    text = raw.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - raw.count("\ufffd".encode())
    valid = len(text) - len(text.encode("ascii", errors="ignore")) - invalid
    return text if valid > invalid else None


def detect(raw: bytes) -> str:
    """Guess a non-UTF-8 encoding; prefer Windows-1252 when it reads at least as cleanly as the best guess.

    charset-normalizer alone often picks cp1250 for Spanish or Portuguese text (ñ becomes ń), while most
    non-UTF-8 OCDS publications are Windows-1252 / ISO-8859-1.
    """
    if raw.startswith(UTF16_32_BOMS):
        return "utf-32" if raw.startswith(UTF16_32_BOMS[:2]) else "utf-16"
    # Imported here: a UTF-8 file (nearly every one) never needs it, and every load worker would import it.
    import charset_normalizer
    from charset_normalizer.md import mess_ratio

    raw = raw.replace(b"\x00", b"")
    best = charset_normalizer.from_bytes(raw).best()
    sample = b"\n".join(_NON_ASCII_LINE.findall(raw[:4_000_000]))[:200_000]
    try:
        western = mess_ratio(sample.decode("cp1252"), 1.0)
    except UnicodeDecodeError:
        return best.encoding if best is not None else "latin-1"
    if best is None or best.encoding.startswith("utf"):
        return "cp1252" if best is None else best.encoding
    guess = mess_ratio(sample.decode(best.encoding, errors="replace"), 1.0)
    return "cp1252" if western <= guess else best.encoding


def iter_values(text: str) -> Iterator[Any | Problem]:
    """Yield each JSON value in ``text``: one document, JSON lines, or concatenated documents.

    Invalid JSON gives an ``invalid_json`` Problem; reading continues with the next line (JSON lines), or with
    the next line that starts with ``{`` or ``[`` after the start of the invalid document (concatenated). JSON
    nested too deeply for the parsers (orjson stops at 1,024 levels, the standard library at its recursion limit)
    gives a ``nested_too_deeply`` Problem: for the line (JSON lines), or for the rest of the text.
    """
    if not text or text.isspace():
        yield Problem("error", "empty_file", "The file is empty or contains only whitespace.", {})
        return
    try:
        yield orjson.loads(text)
        return
    except orjson.JSONDecodeError:
        pass
    if _is_json_lines(text):
        yield from _iter_json_lines(text)
    else:
        yield from _iter_concatenated(text)


def _iter_lines(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield (1-based line number, offset, line) for each non-blank line, splitting on \\n only."""
    start, number = 0, 1
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end]
        if line.strip():
            yield number, start, line
        start, number = end + 1, number + 1


def _is_json_lines(text: str) -> bool:
    lines = _iter_lines(text)
    first = next(lines, None)
    if first is None or next(lines, None) is None:
        return False
    try:
        orjson.loads(first[2])
    except orjson.JSONDecodeError:
        return False
    return True


def _iter_json_lines(text: str) -> Iterator[Any | Problem]:
    for number, offset, line in _iter_lines(text):
        yield parse_line(line, number, offset)


def parse_line(line: str | bytes, number: int, offset: int) -> Any | Problem:
    """One line of JSON lines (``number`` and ``offset`` for the note when it is not JSON)."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        try:  # the standard library also accepts NaN, Infinity and integers beyond 64 bits
            return json.loads(line)
        except json.JSONDecodeError as error:
            return _invalid_json(error.msg, number, error.colno, offset + error.pos)
        except UnicodeDecodeError as error:
            return _invalid_json(str(error), number, 0, offset)
        except RecursionError:
            problem = too_deep()
            return Problem(problem.level, problem.code, problem.message, {**problem.data, "line": number})


def _iter_concatenated(text: str) -> Iterator[Any | Problem]:
    decoder = json.JSONDecoder()
    position = 0
    while start := _NON_WHITESPACE.search(text, position):
        try:
            value, position = decoder.raw_decode(text, start.start())
        except RecursionError:
            yield too_deep()
            return
        except json.JSONDecodeError as error:
            yield _invalid_json(error.msg, error.lineno, error.colno, error.pos)
            match = _NEXT_DOCUMENT.search(text, start.start())
            position = match.end() if match else len(text)
            continue
        yield value


def _invalid_json(reason: str, line: int, column: int, position: int) -> Problem:
    data = {"line": line, "column": column, "position": position, "error": reason}
    return Problem("error", "invalid_json", f"Invalid JSON at line {line}, column {column}: {reason}.", data)


def at_root_path(value: Any, root_path: str | None) -> Iterator[Any | Problem]:
    """The values at ``root_path`` in a parsed value: dot-separated keys, ``item`` for each element of an array
    (as ijson prefixes are written), e.g. ``data.item`` or ``releasePackage``. No path: the value itself."""
    if not root_path:
        yield value
        return
    step, _, rest = root_path.partition(".")
    if step == "item" and isinstance(value, list):
        for element in value:
            yield from at_root_path(element, rest)
    elif isinstance(value, dict) and step in value:
        yield from at_root_path(value[step], rest)
    else:
        found = type(value).__name__ if not isinstance(value, dict) else sorted(value)[:20]
        yield root_path_not_found(root_path, found)


def root_path_not_found(root_path: str, found: Any) -> Problem:
    data = {"root_path": root_path, "found": found}
    return Problem("error", "root_path_not_found", f"nothing at {root_path!r}", data)


def truncated(name: str, error: Exception) -> Problem:
    message = f"The file ends early or is corrupt ({error}); what was read before that was kept."
    return Problem("error", "truncated_file", message, {"name": name, "error": str(error)})


@dataclass(frozen=True)
class Itemized:
    """The items (and problems) of a value too large to parse whole, made by reading it incrementally; numbered
    from 0, and numbered again where the value is among others (see :func:`items_of_values`)."""

    outputs: Iterable[Item | Problem]


def items_of_values(
    values: Iterable[Any | Problem | Itemized], root_path: str | None, ocid_from_id: bool = False
) -> Iterator[Item | Problem]:
    """The items of parsed JSON values (or problems met parsing them, or the items of a value read
    incrementally), numbered across all of them (``ocid_from_id``: see :func:`aggregator.raw.shapes.iter_items`)."""
    ordinal = 0
    reported: set[str] = set()
    for parsed in values:
        for output in _outputs(parsed, ordinal, root_path, ocid_from_id):
            if isinstance(output, Item):
                ordinal = output.ordinal + 1
            elif output.code in ONCE_PER_SOURCE:
                if output.code in reported:
                    continue
                reported.add(output.code)
            yield output


def _outputs(
    parsed: Any | Problem | Itemized, start: int, root_path: str | None, ocid_from_id: bool
) -> Iterator[Item | Problem]:
    """One value's items, numbered from ``start``."""
    if isinstance(parsed, Itemized):
        for output in parsed.outputs:
            yield replace(output, ordinal=start + output.ordinal) if isinstance(output, Item) else output
        return
    ordinal = start
    found = [parsed] if isinstance(parsed, Problem) else at_root_path(parsed, root_path)
    for value in found:
        for output in [value] if isinstance(value, Problem) else iter_items(value, ordinal, ocid_from_id):
            if isinstance(output, Item):
                ordinal = output.ordinal + 1
            yield output


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV with ``\n`` line ends (see :class:`CsvRows`)."""
    buffer = io.StringIO()
    CsvRows(buffer).writerows(list(rows))
    return buffer.getvalue()


class CsvRows:
    """CSV rows with ``\n`` line ends, written to a text stream. Python's writer quotes a cell holding a character
    of its line terminator, but leaves one holding only a bare ``\r`` unquoted when rows end with ``\n``, and
    readers take that ``\r`` for the end of the row: a batch with such a cell is written with ``\r\n`` line ends,
    which quote it, each made ``\n`` again. ``texts`` gives the cells of a row that can hold text (a tuple; by
    default every ``str`` cell is looked at), to look for ``\r`` in a whole batch at C speed."""

    def __init__(self, out: TextIO, texts: Callable[[Sequence[Any]], Sequence[Any]] | None = None) -> None:
        self._out = out
        self._plain = csv.writer(out, lineterminator="\n")
        self._line = io.StringIO()
        self._crlf = csv.writer(self._line, lineterminator="\r\n")
        self._texts = texts

    def writerows(self, rows: Sequence[Sequence[Any]]) -> None:
        if not self._has_carriage_return(rows):
            self._plain.writerows(rows)
            return
        for row in rows:
            self._line.seek(0)
            self._line.truncate()
            self._crlf.writerow(row)
            self._out.write(self._line.getvalue()[:-2] + "\n")

    def _has_carriage_return(self, rows: Sequence[Sequence[Any]]) -> bool:
        if self._texts is None:
            return any(isinstance(value, str) and "\r" in value for row in rows for value in row)
        return "\r" in "".join(filter(None, itertools.chain.from_iterable(map(self._texts, rows))))
