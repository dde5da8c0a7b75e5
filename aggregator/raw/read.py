"""Turn any file on disk into OCDS items, with every problem returned as data (never raised).

Pure: no database, no network, no Scrapy. The steps, each usable on its own:

- :func:`iter_sources`: a file or a directory → logical files (plain files; members of zip, tar and tar.gz
  archives; decompressed .gz, .bz2, .xz files; nested archives), streamed and guarded (see
  :mod:`aggregator.raw.archives`). Archives are recognised by their magic bytes, not by their names.
- :func:`decode`: bytes → text (BOM, NUL bytes, given encoding, UTF-8, else detected encoding).
- :func:`iter_values`: text → JSON values (one document, JSON lines, or concatenated documents).
- :func:`~aggregator.raw.shapes.iter_items`: a JSON value → release and record :class:`Item` objects.
- :func:`read_source` and :func:`read_path` chain them.

Memory: a source up to :attr:`ReadLimits.stream_threshold` bytes (16 MB) is read whole; a larger one is parsed
incrementally by :mod:`aggregator.raw.stream` (JSON lines line by line, a line longer than
:attr:`ReadLimits.line_threshold` as a large document; a package's releases or records one by one).
"""

from collections.abc import Iterator
from pathlib import Path

from aggregator.raw.archives import expand_file
from aggregator.raw.shapes import Item, Problem, iter_items
from aggregator.raw.sources import READ_ERRORS, ArchiveTooLarge, ReadLimits, Source, read_head, skipped, unreadable
from aggregator.raw.text import at_root_path, decode, items_of_values, iter_values, truncated

__all__ = [
    "Item",
    "Problem",
    "ReadLimits",
    "Source",
    "at_root_path",
    "decode",
    "iter_items",
    "iter_sources",
    "iter_values",
    "read_path",
    "read_source",
]


# Sources


def iter_sources(
    path: Path, member_pattern: str | None = None, limits: ReadLimits | None = None
) -> Iterator[Source | Problem]:
    """Yield the logical files in a file or a directory, or a Problem for each one that can't be opened.

    Directories are walked recursively in sorted order, skipping hidden entries and MANIFEST*, README*, *.csv
    and *.md files; the same names are skipped inside archives (as are directories and ``__MACOSX``). Archive
    members whose names do not match the glob ``member_pattern`` are skipped, with one note per archive.
    """
    limits = limits or ReadLimits.from_environment()
    if path.is_dir():
        yield from _walk(path, member_pattern, limits)
    elif path.is_file():
        yield from expand_file(path, member_pattern, limits)
    else:
        yield unreadable(str(path), FileNotFoundError("no such file or directory"))


def _walk(directory: Path, member_pattern: str | None, limits: ReadLimits) -> Iterator[Source | Problem]:
    try:
        children = sorted(directory.iterdir())
    except OSError as error:
        yield unreadable(str(directory), error)
        return
    for child in children:
        if child.is_dir() and not child.name.startswith("."):
            yield from _walk(child, member_pattern, limits)
        elif child.is_file() and not skipped(child.name):
            yield from expand_file(child, member_pattern, limits)


# Decoding


# JSON values


# Putting it together


def read_source(
    source: Source,
    encoding: str | None = None,
    root_path: str | None = None,
    limits: ReadLimits | None = None,
    ocid_from_id: bool = False,
) -> Iterator[Item | Problem]:
    """Yield the items and problems of one source, with ordinals increasing across the whole source.

    ``root_path`` locates the OCDS inside another envelope (see :func:`at_root_path`); with ``ocid_from_id``, a
    release without an ``ocid`` gets the one its ``id`` carries (see :func:`iter_items`). A source larger than
    ``limits.stream_threshold`` is parsed incrementally (see :mod:`aggregator.raw.stream`)."""
    limits = limits or ReadLimits.from_environment()
    try:
        raw, error = _read_whole(source, limits.stream_threshold)
    except ArchiveTooLarge as too_large:
        yield too_large.problem
        return
    except READ_ERRORS as failure:
        yield unreadable(source.name, failure)
        return
    if raw is None:
        # Imported here: the incremental parser (ijson and the modules around it) only reads sources over the
        # threshold, and each load worker would import it.
        from aggregator.raw.stream import read_large

        yield from read_large(source, encoding, root_path, limits, ocid_from_id)
        return
    if error is not None:
        yield truncated(source.name, error)
    text, problems = decode(raw, encoding)
    del raw
    yield from problems
    yield from items_of_values(iter_values(text), root_path, ocid_from_id)


def _read_whole(source: Source, threshold: int) -> tuple[bytes | None, Exception | None]:
    """The source's bytes and the error that cut them short, if any; None if it is larger than ``threshold``."""
    if source.open is None:
        return source.read(), None
    if source.size is not None:
        return (source.read() if source.size <= threshold else None), None
    with source.open() as stream:
        raw, error = read_head(stream, threshold + 1)
    if error is not None and not raw:
        raise error
    return (raw if len(raw) <= threshold else None), error


def read_path(
    path: Path, encoding: str | None = None, member_pattern: str | None = None
) -> Iterator[tuple[Source, Iterator[Item | Problem]] | Problem]:
    """Yield (source, its items and problems) for each logical file under ``path``, or a Problem.

    Consume each source's iterator before advancing to the next source.
    """
    for source in iter_sources(path, member_pattern):
        if isinstance(source, Problem):
            yield source
        else:
            yield source, read_source(source, encoding)
