"""Spreadsheets (CSV, XLSX) to a release package, with flattentool's ``unflatten`` and the standard's release schema.

A CSV input is one CSV file (the common case: one release a row), a zip of CSV files or a directory of them (one
CSV per sheet, as flattentool expects); an XLSX input is one workbook. Columns are JSON paths
(``tender/items/0/id``); rows of one release share ``ocid`` and ``id``, across sheets too.

The schema is read from the local standard (:func:`aggregator.standard.schema_file`) and its references are resolved
here, so flattentool never fetches anything. Data warnings become problems; nothing is raised.
"""

from __future__ import annotations

import fnmatch
import functools
import shutil
import tempfile
import warnings
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from aggregator.errors import AtlasError
from aggregator.raw.shapes import Problem
from aggregator.standard import TAGS, schema_file

FORMATS = ("csv", "xlsx")
#: Warnings that flattentool's schema parser gives about the standard's own schema, not about the data.
_SCHEMA_WARNINGS = ("flattentool/schema.py", "flattentool\\schema.py")


def spreadsheet_format(name: str, declared: str | None = None) -> str | None:
    """``csv`` or ``xlsx`` when a file must be converted: the format its spider declares, else its name's suffix."""
    if declared:
        return declared
    suffix = PurePosixPath(name).suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else None


def convert(
    path: Path,
    data_format: str,
    ocds_version: str | None = None,
    encoding: str | None = None,
    member_pattern: str | None = None,
) -> tuple[bytes | None, list[Problem]]:
    """A release package (JSON, UTF-8) from a spreadsheet, and the problems met; None if it can't be converted.

    ``ocds_version`` (``1.0`` or ``1.1``, default 1.1) chooses the release schema that types the cells;
    ``encoding`` is the CSV files' (default UTF-8, with or without a BOM); ``member_pattern`` chooses the CSV
    members of a zip.
    """
    if data_format not in FORMATS:
        return None, [_failed(path, f"{data_format!r} is not a spreadsheet format ({', '.join(FORMATS)})")]
    problems: list[Problem] = []
    schema = _schema_or_none(ocds_version, problems)
    with tempfile.TemporaryDirectory(prefix="ocds-atlas-convert-") as scratch:
        try:
            source = _prepare(path, data_format, Path(scratch), member_pattern)
            output = Path(scratch) / "package.json"
            problems += _unflatten(source, data_format, output, schema, encoding or "utf-8-sig")
            return output.read_bytes(), problems
        except Exception as error:  # flattentool, openpyxl and csv raise many kinds; each becomes a note
            return None, [*problems, _failed(path, f"{type(error).__name__}: {error}")]


def _prepare(path: Path, data_format: str, scratch: Path, member_pattern: str | None) -> Path:
    """What flattentool reads: a directory of CSV files, or a workbook whose name ends in ``.xlsx`` (openpyxl
    refuses other names)."""
    if data_format == "xlsx":
        target = scratch / "workbook.xlsx"
        shutil.copyfile(path, target)
        return target
    if path.is_dir():
        return path
    sheets = scratch / "sheets"
    sheets.mkdir()
    if zipfile.is_zipfile(path):
        _extract_csv_members(path, sheets, member_pattern)
    else:
        shutil.copyfile(path, sheets / "releases.csv")
    return sheets


def _extract_csv_members(path: Path, directory: Path, member_pattern: str | None) -> None:
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            name = PurePosixPath(member).name
            if not name.lower().endswith(".csv") or name.startswith(".") or "__MACOSX" in member:
                continue
            if member_pattern and not fnmatch.fnmatchcase(member, member_pattern):
                continue
            (directory / name).write_bytes(archive.read(member))
    if not any(directory.iterdir()):
        raise AtlasError("the zip holds no CSV file" + (f" matching {member_pattern!r}" if member_pattern else ""))


def _unflatten(source: Path, data_format: str, output: Path, schema: dict[str, Any] | None, encoding: str) -> list:
    # Imported here: flattentool takes a quarter of a second to import, and most loads are JSON.
    from flattentool import unflatten

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        unflatten(
            str(source),
            input_format=data_format,
            output_name=str(output),
            root_list_path="releases",
            id_name="id",
            root_id="ocid",
            schema=schema or "",
            encoding=encoding,
        )
    return [_warning(w) for w in caught if _is_data_warning(w)]


def _is_data_warning(caught: warnings.WarningMessage) -> bool:
    from flattentool.exceptions import FlattenToolWarning

    return issubclass(caught.category, FlattenToolWarning) and not caught.filename.endswith(_SCHEMA_WARNINGS)


def _warning(caught: warnings.WarningMessage) -> Problem:
    message = str(caught.message)
    return Problem("warning", "conversion_warning", message, {"warning": caught.category.__name__, "message": message})


def _failed(path: Path, reason: str) -> Problem:
    return Problem("error", "conversion_failed", f"The spreadsheet can't be converted: {reason}", {"name": str(path)})


def _schema_or_none(ocds_version: str | None, problems: list[Problem]) -> dict[str, Any] | None:
    tag = TAGS.get(ocds_version or "1.1", TAGS["1.1"])
    try:
        return resolved_release_schema(tag)
    except AtlasError as error:
        problems.append(
            Problem(
                "warning",
                "converted_without_schema",
                f"The release schema is not available, so every cell is read as text: {error}",
                {"tag": tag},
            )
        )
        return None


@functools.cache
def resolved_release_schema(tag: str) -> dict[str, Any]:
    """The standard's release schema at ``tag`` with its (local) references replaced: a remote one is refused."""
    import jsonref

    def refuse(uri: str, **kwargs: Any) -> Any:
        raise AtlasError(f"the release schema refers to {uri}, which is not fetched")

    return jsonref.replace_refs(schema_file(tag, "release-schema.json"), loader=refuse, proxies=False)
