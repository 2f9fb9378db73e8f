"""A config-declared instrument keeps the default fees unless the config sets them, and the
report says which fees were charged."""

from __future__ import annotations

from pathlib import Path

from replay.backtest_data import open_source
from replay.config import DataConfig, InstrumentConfig, VenueConfig
from replay.results import fees_used

SYM = "EUR/USD.SIM"


def quotes_csv(tmp_path: Path) -> Path:
    path = tmp_path / "q.csv"
    path.write_text("timestamp,bid,ask\n1700000000000000000,1.10000,1.10002\n"
                    "1700000001000000000,1.10001,1.10003\n")
    return path


def test_a_declared_instrument_keeps_the_default_fees_unless_it_sets_them(tmp_path: Path) -> None:
    data = DataConfig(str(quotes_csv(tmp_path)), instrument_id=SYM)
    declared = open_source(data, (InstrumentConfig(SYM, price_precision=5),)).instrument
    inferred = open_source(data, ()).instrument
    assert declared.taker_fee == inferred.taker_fee == 2e-5
    assert declared.maker_fee == inferred.maker_fee == 2e-5
    set_fees = open_source(data, (InstrumentConfig(SYM, taker_fee=1e-4, maker_fee=0.0),))
    assert (set_fees.instrument.taker_fee, set_fees.instrument.maker_fee) == (1e-4, 0.0)


def test_the_report_names_the_fees_their_source_and_the_rounding(tmp_path: Path) -> None:
    data = DataConfig(str(quotes_csv(tmp_path)), instrument_id=SYM)
    configured = (InstrumentConfig(SYM, taker_fee=1e-4),)
    inst = open_source(data, configured).instrument
    venues = [VenueConfig(fee_rounding="HALF_EVEN")]
    assert fees_used({SYM: inst}, configured, venues) == {SYM: {
        "maker_fee": 2e-5, "taker_fee": 1e-4, "source": "taker from config, the other default",
        "rounding": "HALF_EVEN"}}
    both = (InstrumentConfig(SYM, taker_fee=1e-4, maker_fee=0.0),)
    assert fees_used({SYM: inst}, both, venues)[SYM]["source"] == "config"
    assert fees_used({SYM: inst}, (), [VenueConfig()])[SYM]["source"] == "default"
