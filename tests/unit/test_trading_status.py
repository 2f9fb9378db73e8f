"""Instrument trading status: stated by INSTRUMENT_STATUS records (Databento's status schema
through databento-dbn), else inferred from L3 books; book_not_crossed applies only in
continuous trading."""

from __future__ import annotations

from pathlib import Path

import databento_dbn as dbn
import numpy as np
import pytest

from domain.codec import as_kind
from domain.enums import BookAction, MarketStatus, OrderSide, RecordFlag
from domain.instruments import Instrument
from domain.kinds import Kind
from replay.loaders.dbn_errors import DbnFormatError
from replay.loaders.detect import detect_format
from replay.testing.check import check
from replay.testing.state import CheckConfig
from replay.testing.streams import INPUT, T0_NS, build, record
from replay.testing.streams import STREAM_INSTRUMENT_ID as IID

INST = Instrument.fx_pair("EUR/USD.SIM", lot_size="1000")
LAST = int(RecordFlag.LAST)
ADD, TRADE = int(BookAction.ADD), int(BookAction.TRADE)
BUY, SELL = int(OrderSide.BUY), int(OrderSide.SELL)


def delta(action: int, side: int, price: int, order_id: int, last: bool = True,
          ts: int = T0_NS) -> np.ndarray:
    return record(Kind.BOOK_DELTA, ts, INPUT | (LAST if last else 0), instrument_id=IID,
                  price_precision=5, action=action, side=side, level=3, price=price, size=1000,
                  order_id=order_id)


def status(action: MarketStatus, ts: int = T0_NS) -> np.ndarray:
    return record(Kind.INSTRUMENT_STATUS, ts, instrument_id=IID, action=int(action),
                  is_trading=255, is_quoting=255, is_short_sell_restricted=255)


#: an ask at 1.10000, then a bid at 1.10005 crossing it, each its own event
CROSS = [delta(ADD, SELL, 110_000, 1), delta(ADD, BUY, 110_005, 2)]


def test_trading_status_a_crossed_l3_book_no_trade_printed_on_is_an_inferred_pre_open() -> None:
    result = check(build(INST, CROSS).records)
    assert result.ok, result.to_dict()


def test_trading_status_a_crossed_book_after_a_trade_print_is_continuous_and_a_violation() -> None:
    body = [CROSS[0], delta(TRADE, BUY, 110_000, 0, last=False), CROSS[1]]
    v = check(build(INST, body).records).first
    assert v is not None and (v.seq, v.invariant) == (5, "book_not_crossed")
    assert "trading status TRADING (inferred at seq 5)" in v.message
    assert v.excerpt["book"]["trading_status"] == {"status": "TRADING", "seq": 5,
                                                   "inferred": True}


def test_trading_status_without_inference_any_crossed_book_is_a_violation() -> None:
    v = check(build(INST, CROSS).records, config=CheckConfig(infer_trading_status=False)).first
    assert v is not None and v.invariant == "book_not_crossed"
    assert "no trading status known" in v.message


@pytest.mark.parametrize("stated, ok", [(MarketStatus.PRE_OPEN, True), (MarketStatus.HALT, True),
                                        (MarketStatus.TRADING, False)])
def test_trading_status_a_stated_status_decides_and_is_never_overridden_by_inference(
    stated: MarketStatus, ok: bool,
) -> None:
    unknown = status(MarketStatus.TRADING)
    as_kind(unknown, Kind.INSTRUMENT_STATUS)["action"] = 99  # not a MarketStatus: keeps it too
    body = [status(stated), status(MarketStatus.SSR_CHANGE), unknown, *CROSS]  # SSR too
    result = check(build(INST, body).records)
    assert result.ok is ok, result.to_dict()


# --- Databento's status schema --------------------------------------------------------------------
def write_status_file(path: Path, actions: list[tuple[int, int]], extra: bytes = b"") -> Path:
    """Writes a DBN status file with one StatusMsg per (ts, StatusAction)."""
    meta = dbn.Metadata(dataset="GLBX.MDP3", schema=dbn.Schema.STATUS, start=0,
                        stype_in=dbn.SType.RAW_SYMBOL, stype_out=dbn.SType.INSTRUMENT_ID,
                        end=None, symbols=["ESH4"], partial=[], not_found=[], mappings=[])
    msgs = [dbn.StatusMsg(publisher_id=1, instrument_id=17077, ts_event=ts, ts_recv=ts + 5,
                          action=dbn.StatusAction.from_int(action),
                          reason=dbn.StatusReason.SCHEDULED, trading_event=dbn.TradingEvent.NONE,
                          is_trading=dbn.TriState.YES if action == 7 else dbn.TriState.NO,
                          is_quoting=dbn.TriState.YES,
                          is_short_sell_restricted=dbn.TriState.NOT_AVAILABLE)
            for ts, action in actions]
    path.write_bytes(meta.encode() + b"".join(bytes(m) for m in msgs) + extra)
    return path


def test_trading_status_the_dbn_status_schema_loads_as_instrument_status_records(
    tmp_path: Path,
) -> None:
    path = write_status_file(tmp_path / "es.status.dbn", [(T0_NS, 1), (T0_NS + 10, 7)])
    fmt = detect_format(path)
    assert fmt.name == "dbn"
    records = np.concatenate(list(fmt.loader(path, IID)))
    s = as_kind(records, Kind.INSTRUMENT_STATUS)
    assert (records["kind"] == Kind.INSTRUMENT_STATUS).all() and len(s) == 2
    assert s["action"].tolist() == [MarketStatus.PRE_OPEN, MarketStatus.TRADING]
    assert s["ts_event"].tolist() == [T0_NS, T0_NS + 10]
    assert s["ts_init"].tolist() == [T0_NS + 5, T0_NS + 15]
    assert s["is_trading"].tolist() == [0, 1] and (s["is_short_sell_restricted"] == 255).all()
    assert (s["instrument_id"] == IID).all() and (s["flags"] == RecordFlag.INPUT).all()


def test_trading_status_from_a_status_file_exempts_the_pre_open_only(tmp_path: Path) -> None:
    path = write_status_file(tmp_path / "s.dbn", [(T0_NS, 1), (T0_NS + 100, 7)])
    stated = np.concatenate(list(detect_format(path).loader(path, IID)))
    stated["ts_init"] = stated["ts_event"]
    pre_open = [stated[:1], *CROSS]
    assert check(build(INST, pre_open).records).ok
    still_crossed = [*pre_open, stated[1:], delta(ADD, SELL, 110_010, 3, ts=T0_NS + 200)]
    v = check(build(INST, still_crossed).records).first
    assert v is not None and v.invariant == "book_not_crossed" and v.seq == 7
    assert "TRADING (stated at seq 6)" in v.message


def test_trading_status_a_status_file_with_another_record_type_is_refused(tmp_path: Path) -> None:
    trade = dbn.TradeMsg(publisher_id=1, instrument_id=1, ts_event=1, price=1, size=1,
                         action=dbn.Action.TRADE, side=dbn.Side.BID, depth=0, ts_recv=2, ts_in_delta=0, sequence=0)
    path = write_status_file(tmp_path / "bad.dbn", [(T0_NS, 1)], extra=bytes(trade))
    with pytest.raises(DbnFormatError, match=r"bad\.dbn.*TradeMsg"):
        list(detect_format(path).loader(path, IID))
