"""The FIX adapter packs its records with the schema's structs (issue 14, tick-to-order): the
bytes equal a record built field by field through numpy, and the fields read back the same."""

from __future__ import annotations

import numpy as np
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
    from domain.codec import packer

    for kind, extra in ((Kind.ORDER_SUBMITTED, {"account_id": 0}),
                        (Kind.ORDER_PENDING_CANCEL, {"venue_order_id": 9})):
        ref = {"client_order_id": 9, "instrument_id": 3, "strategy_id": 2, **extra}
        assert packer(kind).pack(**ref) == encode(kind, **ref).tobytes()
