"""The live node's config and its outbound-message audit, without a venue."""

from __future__ import annotations

import numpy as np
import pytest

from adapters.fix import codes
from adapters.fix.client import OrderRequest
from adapters.fix.outbound import order_record
from domain.codec import as_kind
from domain.enums import OrderSide, OrderType, TimeInForce
from domain.kinds import Kind
from replay.config import ConfigError
from replay.nodes.live_audit import fix_out_divergences
from replay.nodes.live_config import live_config, read_password
from tests.live.live_rig import live_raw


def _raw(tmp_path, **fix):
    raw = live_raw(5001, tmp_path / "j", [{"at": 1, "do": "limit", "side": "BUY", "qty": "1",
                                           "price": "1.00"}])
    raw["fix"].update(fix)
    return raw


def test_the_fix_venue_is_external_and_durability_defaults_to_batch(tmp_path):
    cfg = live_config(_raw(tmp_path))
    assert cfg.backtest.durability == "batch"
    assert [v.external for v in cfg.backtest.venues] == [True]
    assert cfg.fix.port == 5001 and cfg.live.cancel_all_on_stop
    assert cfg.live.wait == "blocking" and cfg.live.wait_strategy().spin_ns == 0
    assert cfg.live.sync_commit == "ordered"  # LMDB's synchronous commit unless asked


@pytest.mark.parametrize(("change", "message"), [
    ({"fix": {"password": "x"}}, "never goes in the config"),
    ({"durability": "none"}, "durability 'none' is refused"),
    ({"fix": {"venue": "ELSEWHERE"}}, "fix.venue 'ELSEWHERE' is not among venues"),
    ({"fix": {"colour": 1}}, "fix: unknown key 'colour'"),
    ({"live": {"wait": "spinning"}}, "wait strategy must be one of .* got 'spinning'"),
    ({"live": {"wait": "yielding", "spin_us": -1}}, "spin_us must be >= 0, got -1"),
    ({"live": {"sync_commit": "fast"}}, "live.sync_commit must be 'ordered' or 'single', got 'fast'"),
    ({"instruments": [{"id": "MSFT.ORDERMATCH"}]}, "price_precision and size_precision"),
])
def test_bad_live_configs_are_refused_naming_the_key(tmp_path, change, message):
    raw = _raw(tmp_path)
    for key, value in change.items():
        raw[key] = {**raw[key], **value} if isinstance(value, dict) else value
    with pytest.raises(ConfigError, match=message):
        live_config(raw)


def test_the_password_comes_from_the_environment_or_a_file(tmp_path, monkeypatch):
    monkeypatch.delenv("NO_SUCH_FIX_PW", raising=False)
    with pytest.raises(ConfigError, match="NO_SUCH_FIX_PW is not set"):
        read_password(live_config(_raw(tmp_path, password_env="NO_SUCH_FIX_PW")).fix)
    secret = tmp_path / "pw"
    secret.write_text("from-a-file\n")
    raw = _raw(tmp_path, password_file=str(secret))
    del raw["fix"]["password_env"]
    assert read_password(live_config(raw).fix) == "from-a-file"


def _new_order(coid: int, qty: int, price: int, seq: int) -> np.ndarray:
    rec = order_record(client_order_id=coid, version=0, strategy_id=1, instrument_id=1,
                       side=OrderSide.BUY, order_type=OrderType.LIMIT,
                       time_in_force=TimeInForce.DAY, price_precision=2, size_precision=0,
                       quantity=qty, price=price)
    typed = as_kind(rec, Kind.FIX_OUT)
    typed["msg_type"] = codes.pack_msg_type(codes.NEW_ORDER_SINGLE)
    typed["msg_seq_num"] = seq
    return rec


def _request(coid: int, qty: int, price: int | None, kind=OrderType.LIMIT, ref=None):
    return OrderRequest(coid, 1, "MSFT.ORDERMATCH", OrderSide.BUY, qty, price, kind,
                        reference_price=ref)


def test_the_audit_finds_a_message_the_commands_do_not_make():
    store = np.concatenate([_new_order(1, 10, 1000, 2), _new_order(2, 5, 1011, 3)])
    handed = [("submit", 1, _request(1, 10, 1000)),
              ("submit", 2, _request(2, 5, None, OrderType.MARKET, ref=1005))]
    assert fix_out_divergences(handed, store, set()) == []
    tampered = store.copy()
    as_kind(tampered[:1], Kind.FIX_OUT)["quantity"] = 11
    problems = fix_out_divergences(handed, tampered, set())
    assert problems == ["FIX_OUT MsgSeqNum 2: NewOrderSingle (order, side, qty) (1, 1, 11), the "
                        "re-executed command makes (1, 1, 10)"]
    # a market order priced on the wrong side of its reference, a message nobody asked for
    assert "not a protection price" in fix_out_divergences(
        [handed[0], ("submit", 2, _request(2, 5, None, OrderType.MARKET, ref=1020))],
        store, set())[0]
    assert "that no command submitted" in fix_out_divergences(handed[:1], store, set())[0]
    # a submit the adapter denied before sending (journaled as the venue's refusal)
    assert fix_out_divergences([*handed, ("submit", 3, _request(3, 1, 900))], store, {3}) == []
