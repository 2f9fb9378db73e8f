"""The FIX adapter packs its records with the schema's structs (issue 14, tick-to-order): the
bytes equal a record built field by field through numpy, and the fields read back the same."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.fix.outbound import order_record, read_out
from adapters.fix.store import new_record
from domain.codec import as_kind, encode
from domain.enums import OrderSide, OrderType, TimeInForce
from domain.kinds import Kind
from domain.schema import NULL_I64

_I64 = st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1)
_U32 = st.integers(min_value=0, max_value=2**32 - 1)


def _by_field(**values) -> np.ndarray:
    record, typed = new_record(Kind.FIX_OUT)
    for name, value in values.items():
        typed[name] = value
    return record


@given(coid=st.integers(min_value=1, max_value=2**63 - 1),
       version=st.integers(min_value=0, max_value=2**16 - 1), strategy=_U32, instrument=_U32,
       side=st.sampled_from([OrderSide.BUY, OrderSide.SELL]),
       order_type=st.sampled_from(list(OrderType)), tif=st.sampled_from(list(TimeInForce)),
       pp=st.integers(min_value=0, max_value=9), sp=st.integers(min_value=0, max_value=9),
       qty=_I64, price=st.one_of(st.none(), _I64),
       replace=st.one_of(st.none(), st.tuples(_I64, _I64)))
def test_an_order_record_is_the_record_built_field_by_field(coid, version, strategy, instrument,
                                                           side, order_type, tif, pp, sp, qty,
                                                           price, replace) -> None:
    got = order_record(client_order_id=coid, version=version, strategy_id=strategy,
                       instrument_id=instrument, side=side, order_type=order_type,
                       time_in_force=tif, price_precision=pp, size_precision=sp,
                       quantity=qty, price=price, replace=replace)
    want = _by_field(client_order_id=coid, cl_ord_version=version, strategy_id=strategy,
                     instrument_id=instrument, side=side, order_type=order_type,
                     time_in_force=tif, price_precision=pp, size_precision=sp, quantity=qty,
                     price=NULL_I64 if price is None else price,
                     replace_quantity=replace[0] if replace else NULL_I64,
                     replace_price=replace[1] if replace else NULL_I64)
    assert got.tobytes() == want.tobytes()
    got[0]["seq"] = 7  # writable: the session stamps it
    fields = read_out(got.tobytes())
    typed = as_kind(want, Kind.FIX_OUT)[0]
    assert fields.client_order_id == int(typed["client_order_id"]) == coid
    assert fields.price == int(typed["price"]) and fields.quantity == qty


def test_a_packed_order_event_is_the_codecs_record() -> None:
    from adapters.fix.orders import _event
    from domain.codec import packer
    from domain.enums import LiquiditySide

    for kind, extra in ((Kind.ORDER_SUBMITTED, {"account_id": 0}),
                        (Kind.ORDER_PENDING_CANCEL, {"venue_order_id": 9}),
                        (Kind.ORDER_ACCEPTED, {"venue_order_id": 9}),
                        (Kind.ORDER_CANCELED, {"venue_order_id": 9}),
                        (Kind.ORDER_REJECTED, {"reason_id": 4}),
                        (Kind.ORDER_CANCEL_REJECTED, {"reason_id": 5}),
                        (Kind.ORDER_FILLED, {"venue_order_id": 9, "trade_id": 77,
                                             "side": OrderSide.SELL,
                                             "liquidity_side": LiquiditySide.NO_LIQUIDITY_SIDE,
                                             "price_precision": 2, "size_precision": 3,
                                             "last_qty": 1500, "last_px": -12345})):
        ref = {"client_order_id": 9, "instrument_id": 3, "strategy_id": 2, **extra}
        assert packer(kind).pack(**ref) == encode(kind, **ref).tobytes()
        assert _event(kind, **ref).tobytes() == encode(kind, **ref).tobytes()


def _fix_in_by_field(msg, session) -> np.ndarray:
    """The FIX_IN record as the adapter built it field by field through numpy (the reference
    :func:`adapters.fix.inbound.fix_in_record` must equal byte for byte)."""
    from adapters.fix import codes

    msg_type = msg.get(35)
    record, typed = new_record(Kind.FIX_IN)
    typed["msg_seq_num"] = int(msg.get(34))
    typed["msg_type"] = codes.pack_msg_type(msg_type)
    typed["session_id"] = session.session_id
    typed["poss_dup"] = msg.get(43) == b"Y"
    typed["last_px"] = NULL_I64
    if msg_type == codes.SEQUENCE_RESET:
        typed["ref_seq_num"] = int(msg.get(36) or 0)
    elif msg_type == codes.RESEND_REQUEST:
        typed["ref_seq_num"] = int(msg.get(7) or 0)
        typed["end_seq_num"] = int(msg.get(16) or 0)
    elif msg_type == codes.REJECT:
        typed["ref_seq_num"] = int(msg.get(45) or 0)
    coid, version = codes.parse_cl_ord_id(msg.get(11))
    if msg_type == codes.CANCEL_REJECT:
        coid, version = codes.parse_cl_ord_id(msg.get(41))
    typed["client_order_id"], typed["cl_ord_version"] = coid, version
    price_prec, size_prec = session.journal.state.precisions.get(coid, (0, 0))
    typed["price_precision"], typed["size_precision"] = price_prec, size_prec
    for field, tag in (("exec_type", 150), ("ord_status", 39)):
        value = msg.get(tag)
        typed[field] = value[0] if value else 0
    for field, tag in (("last_qty", 32), ("cum_qty", 14), ("leaves_qty", 151)):
        typed[field] = codes.to_raw(msg.get(tag), size_prec)
    if msg.get(31) is not None:
        typed["last_px"] = codes.to_raw(msg.get(31), price_prec)
    typed["exec_id"] = codes.exec_id_number(msg.get(17))
    text = msg.get(58)
    if text:
        typed["reason_id"] = session.intern_reason(text.decode("utf-8", "replace"))
    return record


_DECIMAL = st.one_of(st.none(), st.decimals(min_value=-10**9, max_value=10**9, places=4,
                                            allow_nan=False, allow_infinity=False)
                     .map(lambda d: str(d).encode()))


@given(msg_type=st.sampled_from([b"8", b"9", b"4", b"2", b"3", b"0"]),
       seq=st.integers(min_value=1, max_value=10**9), poss_dup=st.booleans(),
       coid=st.sampled_from([0, 7, 12345]), version=st.integers(0, 5),
       exec_type=st.one_of(st.none(), st.sampled_from([b"0", b"1", b"2", b"4", b"8"])),
       qtys=st.tuples(_DECIMAL, _DECIMAL, _DECIMAL), last_px=_DECIMAL,
       exec_id=st.one_of(st.none(), st.sampled_from([b"17", b"E-9", b"x" * 30])),
       text=st.one_of(st.none(), st.sampled_from([b"no", b"Unsupported TIF, use Day"])),
       refs=st.tuples(st.integers(0, 99), st.integers(0, 99)))
def test_a_fix_in_record_is_the_record_built_field_by_field(
        fix_in_session, msg_type, seq, poss_dup, coid, version, exec_type, qtys, last_px,
        exec_id, text, refs) -> None:
    import simplefix

    from adapters.fix.inbound import fix_in_record

    msg = simplefix.FixMessage()
    msg.append_pair(35, msg_type)
    msg.append_pair(34, str(seq).encode())
    if poss_dup:
        msg.append_pair(43, b"Y")
    for tag, value in ((11, f"{coid}.{version}".encode() if version else str(coid).encode()),
                       (41, str(coid).encode()), (150, exec_type), (39, exec_type),
                       (32, qtys[0]), (14, qtys[1]), (151, qtys[2]), (31, last_px),
                       (17, exec_id), (58, text), (36, str(refs[0]).encode()),
                       (7, str(refs[0]).encode()), (16, str(refs[1]).encode()),
                       (45, str(refs[1]).encode())):
        if value is not None:
            msg.append_pair(tag, value)
    assert fix_in_record(msg, fix_in_session, lenient=True).tobytes() == \
        _fix_in_by_field(msg, fix_in_session).tobytes()


@pytest.fixture(scope="module")
def fix_in_session(tmp_path_factory):
    """A session (not connected) whose store knows order 7's precisions (2, 3)."""
    from adapters.fix.session import FixSession
    from adapters.fix.store import SessionJournal

    journal = SessionJournal(tmp_path_factory.mktemp("fix") / "j")
    journal.state.precisions[7] = (2, 3)
    yield FixSession(journal, "127.0.0.1", 1, "RINGBUS", "V")
    journal.close()
