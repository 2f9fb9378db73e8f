"""``ringbus export --parquet`` and ``ringbus ingest`` of a NautilusTrader catalog, as real
processes on a catalog ingested from ../shared/data: the round trip gives the records back, and
NautilusTrader 1.221's own ParquetDataCatalog (in the peer venv; slow) loads the export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from domain.codec import as_kind
from domain.enums import AggressorSide, BookAction
from domain.kinds import Kind
from replay.catalog import read_catalog
from replay.catalog_ingest import ingest
from replay.catalog_source import iter_catalog_records

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("PEER_VENV", Path.home() / ".cache/ringbus-peers/nautilus-venv"))
PEER_PY = VENV / "bin" / "python"
FILES = ("usdjpy-ticks.csv", "gbpusd-m1-bid-2012.csv", "bitmex_trades_XBTUSD.csv",
         "btcusdt-depth-snap.csv", "btcusdt-depth-update.csv",
         "esh4-glbx-mdp3-20231225.mbo.dbn.zst")
EXPORTED_ACTIONS = [BookAction.ADD, BookAction.MODIFY, BookAction.CANCEL, BookAction.CLEAR]


def ringbus(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "replay.cli", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)


def records(catalog: Path) -> dict[str, np.ndarray]:
    return {e.symbol: np.concatenate(list(iter_catalog_records(catalog / e.dir)))
            for e in read_catalog(catalog)}


@pytest.fixture(scope="module")
def exported(shared_data: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[Path, Path, dict]:
    base = tmp_path_factory.mktemp("parquet")
    ingest([shared_data / f for f in FILES], base / "catalog")
    done = ringbus("export", "--parquet", str(base / "nautilus"), str(base / "catalog"),
                   "--json")
    assert done.returncode == 0, done.stderr
    return base / "catalog", base / "nautilus", json.loads(done.stdout)


def test_export_writes_one_file_per_type_and_instrument_in_nautilus_layout(exported) -> None:
    _, out, summary = exported
    names = sorted(str(Path(f["path"]).relative_to(out).parent) for f in summary["files"])
    assert names == ["data/bar/GBPUSD.SIM-1-MINUTE-BID-EXTERNAL",
                     "data/order_book_delta/BTCUSDT.BINANCE", "data/order_book_delta/ESH4.GLBX",
                     "data/quote_tick/USDJPY.SIM", "data/trade_tick/XBTUSD.BITMEX"]
    quotes = next(f for f in summary["files"] if f["kind"] == "quote_tick")
    assert Path(quotes["path"]).name == ("2013-01-01T22-00-00-295000000Z_"
                                         "2013-01-01T22-35-13-494000000Z.parquet")
    # the ES file's trade and fill reports (2,973 + 6,371) and its N records have no delta action
    assert summary["skipped"] == {"ESH4.GLBX": 9344}


def test_exported_catalog_ingests_back_to_the_same_records(exported) -> None:
    catalog, out, _ = exported
    back = out.parent / "back"
    done = ringbus("ingest", str(out), "--catalog", str(back))
    assert done.returncode == 0, done.stderr
    want, got = records(catalog), records(back)
    assert sorted(got) == sorted(want)
    for symbol in ("USD/JPY.SIM", "GBP/USD.SIM", "XBTUSD.BITMEX"):
        assert got[symbol].tobytes() == want[symbol].tobytes(), symbol
    es, es_back = (as_kind(r["ESH4.GLBX"], Kind.BOOK_DELTA) for r in (want, got))
    es = es[np.isin(es["action"], EXPORTED_ACTIONS)]
    assert len(es_back) == len(es) == 68792 - 9344
    for field in es.dtype.names:  # field by field: the DBN loader leaves padding bytes unzeroed
        assert np.array_equal(es[field], es_back[field]), field
    binance, again = (as_kind(r["BTCUSDT.BINANCE"], Kind.BOOK_DELTA) for r in (want, got))
    for field in binance.dtype.names:
        if field != "venue_flags":
            assert np.array_equal(binance[field], again[field]), field
    # NautilusTrader's flags carry the header's SNAPSHOT (32) and LAST (128) bits
    assert again["venue_flags"][0] == 32 and again["venue_flags"][100] == 160
    entries = {e.symbol: e for e in read_catalog(back)}
    assert entries["ESH4.GLBX"].book_level == 3 and entries["BTCUSDT.BINANCE"].book_level == 2


def test_export_refuses_a_directory_that_already_holds_the_files(exported) -> None:
    catalog, out, _ = exported
    done = ringbus("export", "--parquet", str(out), str(catalog), "--instrument", "USD/JPY.SIM")
    assert done.returncode == 2
    assert "already holds NautilusTrader data files; export into a new directory" in done.stderr
    assert len(list((out / "data" / "quote_tick" / "USDJPY.SIM").iterdir())) == 1


def test_export_of_an_unknown_instrument_or_a_non_catalog_fails_naming_it(exported,
                                                                          tmp_path: Path) -> None:
    catalog, _, _ = exported
    done = ringbus("export", "--parquet", str(tmp_path / "o"), str(catalog), "--instrument",
                   "NOPE.SIM")
    assert done.returncode == 2 and "holds no 'NOPE.SIM'" in done.stderr
    done = ringbus("export", "--parquet", str(tmp_path / "o"), str(tmp_path))
    assert done.returncode == 2 and "neither a ringbus catalog" in done.stderr


def _text(raw: int, precision: int) -> str:
    return str(Decimal(int(raw)).scaleb(-precision))


def _expected(kind: str, rec: np.ndarray, symbol: str) -> dict[str, str]:
    pp, sp = int(rec["price_precision"]), int(rec["size_precision"])
    out = {"ts_event": str(int(rec["ts_event"])), "ts_init": str(int(rec["ts_init"]))}
    if kind != "bar":
        out["instrument_id"] = symbol
    if kind == "quote_tick":
        out.update({f"{n}_price": _text(rec[n], pp) for n in ("bid", "ask")})
        out.update({n: _text(rec[n], sp) for n in ("bid_size", "ask_size")})
    elif kind == "trade_tick":
        out.update(price=_text(rec["price"], pp), size=_text(rec["size"], sp),
                   trade_id=str(int(rec["trade_id"])),
                   aggressor_side=AggressorSide(int(rec["aggressor_side"])).name)
    elif kind == "bar":
        out.update({n: _text(rec[n], pp) for n in ("open", "high", "low", "close")})
        out.update(volume=_text(rec["volume"], sp),
                   bar_type=f"{symbol}-1-MINUTE-BID-EXTERNAL")
    else:
        action = {1: "ADD", 2: "UPDATE", 3: "DELETE", 4: "CLEAR"}[int(rec["action"])]
        out.update(action=action, side=("NO_ORDER_SIDE", "BUY", "SELL")[int(rec["side"])],
                   price=_text(rec["price"], pp), size=_text(rec["size"], sp),
                   order_id=str(int(rec["order_id"])), sequence=str(int(rec["venue_sequence"])))
    return out


@pytest.mark.slow
def test_nautilus_trader_loads_the_export_with_our_counts_and_first_and_last_values(
        exported, tmp_path: Path) -> None:
    if not PEER_PY.exists():
        pytest.skip(f"NautilusTrader peer venv not found at {VENV} "
                    "(run ../shared/peers/nautilus/setup.sh)")
    catalog, _, _ = exported
    want = records(catalog)
    for symbol, kind, rb_kind in (("USD/JPY.SIM", "quote_tick", Kind.QUOTE),
                                  ("XBTUSD.BITMEX", "trade_tick", Kind.TRADE),
                                  ("GBP/USD.SIM", "bar", Kind.BAR),
                                  ("ESH4.GLBX", "order_book_delta", Kind.BOOK_DELTA)):
        out = tmp_path / kind
        assert ringbus("export", "--parquet", str(out), str(catalog), "--instrument",
                       symbol).returncode == 0
        done = subprocess.run([str(PEER_PY), str(ROOT / "tests/e2e/nautilus_catalog_proc.py"),
                               str(out)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        seen = json.loads(done.stdout.strip().splitlines()[-1])[kind]
        ours = as_kind(want[symbol], rb_kind)
        if rb_kind == Kind.BOOK_DELTA:
            ours = ours[np.isin(ours["action"], EXPORTED_ACTIONS)]
        assert seen["n"] == len(ours)
        for which, rec in (("first", ours[0]), ("last", ours[-1])):
            expected = _expected(kind, rec, symbol)
            if kind == "order_book_delta":
                expected["flags"] = seen[which]["flags"]
            assert seen[which] == expected, which
        if kind == "order_book_delta":  # Databento's flags byte as the DBN file holds it
            assert seen["first"]["flags"] == str(int(ours[0]["venue_flags"]))


def test_a_backtest_journal_exports_its_market_data_inputs(shared_data: Path,
                                                           tmp_path: Path) -> None:
    data = shared_data / "usdjpy-ticks.csv"
    done = ringbus("backtest", "--strategy", "noop", "--data", str(data), "--journal",
                   str(tmp_path / "run"), "--report", str(tmp_path / "report"), "--quiet")
    assert done.returncode == 0, done.stderr
    done = ringbus("export", "--parquet", str(tmp_path / "out"), str(tmp_path / "run"), "--json")
    assert done.returncode == 0, done.stderr
    (written,) = json.loads(done.stdout)["files"]
    assert (written["kind"], written["identifier"], written["rows"]) == ("quote_tick",
                                                                        "USD/JPY.SIM", 1000)
    ingest([data], tmp_path / "catalog")
    done = ringbus("ingest", str(tmp_path / "out"), "--catalog", str(tmp_path / "back"))
    assert done.returncode == 0, done.stderr
    want, got = records(tmp_path / "catalog"), records(tmp_path / "back")
    assert got["USD/JPY.SIM"].tobytes() == want["USD/JPY.SIM"].tobytes()
