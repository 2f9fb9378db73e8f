"""The risk engine's per-submit views of the orders, read from indexes the cache keeps as it
folds order events, equal the full scans they replaced (issue 14, the 10 k inputs/s path):

- ``risk_margin.pending_raw`` (summed leaves of SUBMITTED / MARKET orders from
  :mod:`engines.cache_pending`, in-flight INITIALIZED orders from the forwarded set) equals the
  walk over every open order, for every order and position, also after a snapshot / restore;
- ``Forwarded.prune`` (only the orders noted or changed since the last prune, from the cache's
  order change log) leaves the same in-flight orders as looking at all of them, and
  ``n_unapplied`` / ``pending_lock_raw`` give the full scans' answers.

Orders live through random legal event streams (the order state machine's table) applied by
the real cache (``TradingState.order_event``), fills moving real positions.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.codec import RAW_TUPLES
from domain.currencies import USD
from domain.enums import ContingencyType, OrderSide, OrderType
from domain.instruments import Instrument
from domain.kinds import Kind
from domain.order_fsm import TRANSITIONS, OrderStatus
from domain.order_specs import OrderSpec
from domain.values import Price, Quantity
from engines import cache_trading
from engines.cache import Cache
from engines.risk_inflight import Forwarded
from engines.risk_margin import pending_raw, signed

S = OrderStatus
_EITHER_OR = (int(ContingencyType.OCO), int(ContingencyType.OUO))
#: events the streams use (those needing emulator / trailing fields are left out)
_KINDS = frozenset((Kind.ORDER_SUBMITTED, Kind.ORDER_ACCEPTED, Kind.ORDER_REJECTED,
                    Kind.ORDER_DENIED, Kind.ORDER_CANCELED, Kind.ORDER_EXPIRED,
                    Kind.ORDER_PENDING_CANCEL, Kind.ORDER_PENDING_UPDATE, Kind.ORDER_UPDATED,
                    Kind.ORDER_CANCEL_REJECTED, Kind.ORDER_MODIFY_REJECTED, Kind.ORDER_FILLED))
IIDS, PIDS = (1, 2), (0, 77, 78)


def _rec(kind: Kind, **fields: Any) -> Any:
    tup = RAW_TUPLES[int(kind)]
    return tup(**{**dict.fromkeys(tup._fields, 0), "kind": int(kind), **fields})


def _cache() -> Cache:
    cache = Cache()
    for iid, symbol in zip(IIDS, ("EUR/USD.SIM", "GBP/USD.SIM"), strict=True):
        assert cache.strings.intern(symbol)[0] == iid  # a snapshot names instruments by id
        cache.instruments[iid] = Instrument.fx_pair(symbol, price_precision=2, size_precision=0)
    return cache


def scan_pending_raw(cache: Any, order: Any, position_id: int, in_flight: Any) -> int:
    """The walk over every open order that ``pending_raw`` replaced (commit fc99a0d)."""
    total = 0
    trading = cache.trading
    orders = trading.orders
    partner = order.linked_order_id if int(order.contingency) in _EITHER_OR else 0
    for coid in trading.orders_open:
        o = orders[coid]
        if o is order or o.strategy_id != order.strategy_id or o.instrument_id != order.instrument_id:
            continue
        if coid == partner or (o.linked_order_id == order.client_order_id
                               and int(o.contingency) in _EITHER_OR):
            continue
        if o.position_id and o.position_id != position_id:
            continue
        if o.status == OrderStatus.INITIALIZED:
            if o.client_order_id not in in_flight:
                continue
        elif o.status != OrderStatus.SUBMITTED and o.order_type != OrderType.MARKET:
            continue
        total += signed(o.side, o.quantity_raw - o.filled_raw)
    return total


def scan_prune(orders: dict[int, tuple[int, int, int]], cache: Any) -> None:
    """The prune that looked at every in-flight order (commit fc99a0d), in place."""
    for coid in [c for c in orders if (o := cache.order(c)) is None
                 or o.status not in (S.INITIALIZED, S.SUBMITTED)
                 or (orders[c][1] and (a := cache.account(orders[c][1])) is not None
                     and a.lock_of(c))]:
        del orders[coid]


@st.composite
def order_specs(draw: Any, n: int) -> list[tuple[int, int, OrderSpec, int]]:
    """``n`` orders: (instrument id, strategy id, spec, linked order index or -1)."""
    out = []
    for i in range(n):
        side = draw(st.sampled_from([OrderSide.BUY, OrderSide.SELL]))
        qty = Quantity(draw(st.integers(1, 9)), 0)
        linked = draw(st.integers(-1, n - 1))
        kw = {}
        if linked >= 0 and linked != i:
            kw["contingency"] = draw(st.sampled_from(
                [ContingencyType.OCO, ContingencyType.OUO, ContingencyType.OTO]))
        else:
            linked = -1
        spec = (OrderSpec.market(side, qty, **kw) if draw(st.booleans())
                else OrderSpec.limit(side, qty, Price(10_000, 2), **kw))
        # mostly one strategy and instrument: the orders a check sums or leaves out
        out.append((draw(st.sampled_from((1, 1, 2))), draw(st.sampled_from((1, 1, 2))), spec,
                    linked))
    return out


def _event(draw: Any, order: Any, seq: int) -> Any | None:
    """A random event the state machine allows from the order's status (None: none is)."""
    kinds = sorted(k for (s, k) in TRANSITIONS if s == order.status and k in _KINDS)
    if not kinds:
        return None
    kind = Kind(draw(st.sampled_from(kinds)))
    coid, fields = order.client_order_id, {"seq": seq, "ts_event": seq}
    base = {"client_order_id": coid, "instrument_id": order.instrument_id,
            "strategy_id": order.strategy_id}
    if kind == Kind.ORDER_FILLED:
        leaves = order.quantity_raw - order.filled_raw
        fields.update(side=int(order.side), price_precision=2, size_precision=0,
                      last_qty=draw(st.integers(1, leaves)), last_px=10_000, trade_id=seq,
                      position_id=draw(st.sampled_from(PIDS)), commission_currency=USD.packed)
    elif kind == Kind.ORDER_UPDATED:
        fields.update(quantity=order.filled_raw + draw(st.integers(1, 9)),
                      price=order.price_raw or 0, trigger_price=0)
    return _rec(kind, **base, **fields)


def _initialize(cache: Cache, specs: list) -> list[int]:
    coids = [1000 + i for i in range(len(specs))]
    for i, (iid, sid, spec, linked) in enumerate(specs):
        fields = spec.initialized_fields(coids[i], iid, sid, price_precision=2,
                                         linked_order_id=coids[linked] if linked >= 0 else 0)
        cache.trading.order_initialized(_rec(Kind.ORDER_INITIALIZED, seq=i + 1, ts_init=1,
                                             **fields))
    return coids


def _check_pending(cache: Cache, in_flight: dict[int, Any]) -> None:
    for order in cache.trading.orders.values():
        for pid in PIDS:
            assert pending_raw(cache, order, pid, in_flight) == \
                scan_pending_raw(cache, order, pid, in_flight), (order, pid)


@given(st.data(), st.integers(2, 9))
def test_pending_raw_equals_the_scan_of_every_open_order(data: Any, n: int) -> None:
    cache = _cache()
    coids = _initialize(cache, data.draw(order_specs(n)))
    in_flight = dict.fromkeys(data.draw(st.lists(st.sampled_from(coids), unique=True)))
    _check_pending(cache, in_flight)
    for step in range(data.draw(st.integers(0, 30))):
        rec = _event(data.draw, cache.order(data.draw(st.sampled_from(coids))), 100 + step)
        if rec is not None:
            cache.trading.order_event(rec)
            _check_pending(cache, in_flight)
    restored = Cache()
    restored.restore(*cache.snapshot())
    _check_pending(restored, in_flight)
    assert restored.trading.pending_leaves.sums == cache.trading.pending_leaves.sums


@given(st.data(), st.integers(1, 9))
def test_prune_leaves_the_orders_a_look_at_every_in_flight_order_leaves(data: Any, n: int
                                                                        ) -> None:
    cache = _cache()
    coids = _initialize(cache, data.draw(order_specs(n)))
    fwd, reference = Forwarded(), {}
    for step in range(data.draw(st.integers(1, 40))):
        action = data.draw(st.sampled_from(["event", "event", "note", "prune", "restore"]))
        coid = data.draw(st.sampled_from(coids))
        order = cache.order(coid)
        if action == "event":
            rec = _event(data.draw, order, 100 + step)
            if rec is not None:
                cache.trading.order_event(rec)
        elif action == "note":  # the risk engine notes INITIALIZED orders; any is allowed
            entry = (order.instrument_id, 0, data.draw(st.integers(0, 50)))
            fwd.note(coid, *entry, ts_init=step)
            reference[coid] = entry
        elif action == "restore":  # the risk engine's state restored: looks at all again
            g = Forwarded()
            g.restore(fwd.snapshot())
            fwd = g
        else:
            fwd.prune(cache, step, None)
            scan_prune(reference, cache)
            assert fwd.orders == reference
        for iid in IIDS:
            assert fwd.n_unapplied(cache, iid) == sum(
                1 for c, (i, _, _) in fwd.orders.items()
                if i == iid and cache.order(c).status == S.INITIALIZED)
        assert fwd.pending_lock_raw(0) == sum(r for _, _, r in fwd.orders.values())


def test_a_prune_behind_the_kept_change_log_looks_at_every_in_flight_order(
        monkeypatch: Any) -> None:
    monkeypatch.setattr(cache_trading, "CHANGES_KEPT", 2)
    cache = _cache()
    coids = _initialize(cache, [(1, 1, OrderSpec.market(OrderSide.BUY, Quantity(5, 0)), -1)] * 4)
    fwd = Forwarded()
    for coid in coids:
        fwd.note(coid, 1, 0, 0, ts_init=1)
    fwd.prune(cache, 2, None)
    for seq, coid in enumerate(coids):
        cache.trading.order_event(_rec(Kind.ORDER_SUBMITTED, client_order_id=coid, seq=10 + seq))
    t = cache.trading
    assert (t.order_changes_dropped, t.order_changes) == (2, coids[2:])  # a reader at 0 rescans
    cache.trading.order_event(_rec(Kind.ORDER_REJECTED, client_order_id=coids[0], seq=20))
    cache.trading.order_event(_rec(Kind.ORDER_ACCEPTED, client_order_id=coids[1], seq=21))
    fwd.prune(cache, 3, None)
    assert list(fwd.orders) == coids[2:]  # still SUBMITTED
    assert t.pending_leaves.sums == {(1, 1, 0): [3, 5 * 3]}  # 1 rejected; 3 MARKET open
    fwd.note(coids[0], 1, 0, 0, ts_init=4)  # no event since the last prune: looked at as noted
    fwd.prune(cache, 5, None)
    assert list(fwd.orders) == coids[2:]


def test_pending_raw_leaves_out_an_oco_order_that_names_the_checked_one() -> None:
    cache = _cache()
    buy = OrderSpec.limit(OrderSide.BUY, Quantity(4, 0), Price(10_000, 2))
    oco = OrderSpec.limit(OrderSide.SELL, Quantity(3, 0), Price(10_000, 2),
                          contingency=ContingencyType.OCO)
    coids = _initialize(cache, [(1, 1, buy, -1), (1, 1, oco, 0), (1, 1, buy, -1)])
    for seq, coid in enumerate(coids[1:]):
        cache.trading.order_event(_rec(Kind.ORDER_SUBMITTED, client_order_id=coid, seq=10 + seq))
    checked = cache.order(coids[0])
    # the OCO sell names the checked order as its partner: only the other buy counts
    assert pending_raw(cache, checked, 0, {}) == 4 == scan_pending_raw(cache, checked, 0, {})
    assert pending_raw(cache, cache.order(coids[2]), 0, {}) == -3
