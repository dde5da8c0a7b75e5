"""Reading a JSON document's end backwards, to find the members of its top-level object that follow an array
without parsing the whole document: reading backwards from a point outside any string is unambiguous."""

from __future__ import annotations

import json
import re

_WHITESPACE = b" \t\n\r"
_SCALAR_END = frozenset(b",:[{ \t\n\r")
_SPECIAL = re.compile(rb'["\[\]{}]')


def members_after(tail: bytes, key: str) -> bytes | None:
    """The members that follow the ``key`` array in the JSON object that ends ``tail``, as a JSON object's text;
    None if ``tail`` can't tell. An array that starts before ``tail`` is taken to be the ``key`` array."""
    text = _Backwards(tail)
    end = text.back(len(tail) - 1)
    if end < 0 or tail[end] != ord("}"):
        return None
    position = end
    while True:
        value_end = text.back(position - 1)
        if value_end < 0 or tail[value_end] == ord("{"):
            return None
        value_start = text.value_start(value_end)
        if value_start < 0:  # a member larger than the tail: the array, if it ends with an object
            return _as_object(tail[value_end + 1 : end]) if _ends_array_of_objects(text, value_end) else None
        name, key_start = text.key_before(value_start)
        if name is None:
            return None
        if name == key and tail[value_end] == ord("]"):
            return _as_object(tail[value_end + 1 : end])
        position = text.back(key_start - 1)
        if position < 0 or tail[position] != ord(","):
            return None


def _ends_array_of_objects(text: _Backwards, end: int) -> bool:
    return text.text[end] == ord("]") and text.text[text.back(end - 1)] == ord("}")


def _as_object(members: bytes) -> bytes | None:
    members = members.strip(_WHITESPACE)
    if not members:
        return b"{}"
    return b"{" + members[1:].lstrip(_WHITESPACE) + b"}" if members.startswith(b",") else None


class _Backwards:
    """JSON text read from its end: reading backwards from a point outside any string is unambiguous."""

    def __init__(self, text: bytes) -> None:
        self.text = text
        self.reversed = text[::-1]

    def back(self, index: int) -> int:
        """The index of the last non-whitespace byte at or before ``index``, or -1."""
        while index >= 0 and self.text[index] in _WHITESPACE:
            index -= 1
        return index

    def key_before(self, value_start: int) -> tuple[str | None, int]:
        """The member name before the value that starts at ``value_start``, and where the name starts."""
        colon = self.back(value_start - 1)
        if colon < 0 or self.text[colon] != ord(":"):
            return None, -1
        key_end = self.back(colon - 1)
        if key_end < 0 or self.text[key_end] != ord('"'):
            return None, -1
        key_start = self.string_start(key_end)
        if key_start < 0:
            return None, -1
        try:
            name = json.loads(self.text[key_start : key_end + 1])
        except ValueError:
            return None, -1
        return (name, key_start) if isinstance(name, str) else (None, -1)

    def value_start(self, end: int) -> int:
        """Where the JSON value that ends at ``end`` starts, or -1 if it starts before the text."""
        last = self.text[end]
        if last == ord('"'):
            return self.string_start(end)
        if last in b"]}":
            return self.opening_bracket(end)
        index = end
        while index >= 0 and self.text[index] not in _SCALAR_END:
            index -= 1
        return index + 1 if index >= 0 else -1

    def string_start(self, close: int) -> int:
        """The opening quote of the string whose closing quote is at ``close``, or -1."""
        index = close - 1
        while (index := self.text.rfind(b'"', 0, index + 1)) >= 0:
            backslashes = 0
            while index - backslashes - 1 >= 0 and self.text[index - backslashes - 1] == ord("\\"):
                backslashes += 1
            if backslashes % 2 == 0:
                return index
            index -= 1
        return -1

    def opening_bracket(self, close: int) -> int:
        """The bracket that opens the array or object closed at ``close``, or -1."""
        depth = 0
        index = close
        while index >= 0:
            byte = self.text[index]
            if byte == ord('"'):
                index = self.string_start(index)
                if index < 0:
                    return -1
            elif byte in b"]}":
                depth += 1
            elif byte in b"[{":
                depth -= 1
                if depth == 0:
                    return index
            index = self.previous_special(index - 1)
        return -1

    def previous_special(self, index: int) -> int:
        """The index of the last quote or bracket at or before ``index``, or -1."""
        if index < 0:
            return -1
        found = _SPECIAL.search(self.reversed, len(self.text) - 1 - index)
        return len(self.text) - 1 - found.start() if found else -1
