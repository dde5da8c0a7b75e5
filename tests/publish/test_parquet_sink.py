"""ParquetSink: row groups of BATCH_ROWS rows from smaller fetches, and nothing left behind after an error."""

from contextlib import ExitStack

import pyarrow.parquet as pq
import pytest

from aggregator.publish import tables
from aggregator.publish.tables import Column, ParquetSink


def test_fetches_make_whole_row_groups(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "BATCH_ROWS", 10)
    path = tmp_path / "t.parquet"
    columns = [Column("n", "int8"), Column("name", "text")]
    rows = [(i, f"row {i}") for i in range(27)]
    with ExitStack() as stack:
        sink = ParquetSink(stack, path, columns)
        for start in range(0, len(rows), 4):  # fetches of 4 rows
            sink.write(rows[start : start + 4])
    found = pq.ParquetFile(path)
    groups = [found.metadata.row_group(i).num_rows for i in range(found.metadata.num_row_groups)]
    assert groups == [10, 10, 7]
    assert found.read().to_pylist() == [{"n": i, "name": f"row {i}"} for i in range(27)]


def test_an_error_leaves_no_file_and_is_raised(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "BATCH_ROWS", 10)
    path = tmp_path / "t.parquet"
    with pytest.raises(RuntimeError, match="the rows stopped"), ExitStack() as stack:
        sink = ParquetSink(stack, path, [Column("n", "int8")])
        sink.write([(i,) for i in range(15)])
        raise RuntimeError("the rows stopped")
    assert not path.exists()
    assert not path.with_name(path.name + ".partial").exists()
