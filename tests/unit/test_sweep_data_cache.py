"""The worker-local data cache: the same records as reading the file, read once, stamps that
never leak between runs, and files it must not keep (over budget, bad later rows) streamed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from domain.codec import as_kind
from domain.kinds import Kind
from replay.backtest_data import open_source
from replay.config import DataConfig
from replay.sweep import data_cache
from tests.sweep_support import quotes_slice


@pytest.fixture(autouse=True)
def empty_cache():
    data_cache.clear()
    yield
    data_cache.clear()


def records(source, iid: int) -> np.ndarray:
    return np.concatenate(list(source.chunks(iid)))


def test_a_cached_file_is_read_once_and_yields_the_files_records(
        shared_data: Path, tmp_path: Path) -> None:
    cfg = DataConfig(str(quotes_slice(shared_data, 3000, tmp_path)))
    first = data_cache.open_cached(cfg, ())
    second = data_cache.open_cached(cfg, ())
    assert data_cache.loads == {cfg.path: 1}
    alone = open_source(cfg, ())
    assert (first.symbol, first.instrument, first.first_ts_init) == \
        (alone.symbol, alone.instrument, alone.first_ts_init)
    a, b = records(first, 5), records(second, 9)
    assert a.tobytes() == records(alone, 5).tobytes()
    ids = [set(as_kind(r, Kind.QUOTE)["instrument_id"].tolist()) for r in (a, b)]
    assert ids == [{5}, {9}]  # each run's stamp on its own copy
    assert records(data_cache.open_cached(cfg, ()), 5).tobytes() == a.tobytes()


def test_a_changed_file_is_read_again(shared_data: Path, tmp_path: Path) -> None:
    path = quotes_slice(shared_data, 3000, tmp_path)
    cfg = DataConfig(str(path))
    assert len(records(data_cache.open_cached(cfg, ()), 1)) == 3000
    quotes_slice(shared_data, 2000, tmp_path)
    assert len(records(data_cache.open_cached(cfg, ()), 1)) == 2000
    assert data_cache.loads == {cfg.path: 2}


def test_a_file_over_the_budget_streams_from_disk(shared_data: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RINGBUS_SWEEP_CACHE_MB", "0")
    cfg = DataConfig(str(quotes_slice(shared_data, 3000, tmp_path)))
    for _ in range(2):
        assert len(records(data_cache.open_cached(cfg, ()), 1)) == 3000
    assert data_cache.loads == {cfg.path: 2}


def test_bad_rows_after_the_first_chunk_fail_where_a_single_run_fails(tmp_path: Path) -> None:
    lines = [f"20200101 {h:02d}{m:02d}{s:02d}000,1.1{i % 1000:03d}0,1.1{i % 1000:03d}2,0"
             for i, (h, m, s) in enumerate((i // 3600, i // 60 % 60, i % 60)
                                           for i in range(70_000))]
    lines[68_000] = "20200101 185320000,not-a-price,1.10002,0"
    path = tmp_path / "eurusd-bad.csv"
    path.write_text("\n".join(lines) + "\n")
    cfg = DataConfig(str(path))
    with pytest.raises(ValueError) as alone:
        records(open_source(cfg, ()), 1)
    with pytest.raises(ValueError) as cached:
        records(data_cache.open_cached(cfg, ()), 1)
    assert str(cached.value) == str(alone.value) and "not-a-price" in str(alone.value)
