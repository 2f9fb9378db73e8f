"""Re-execution's check of a live journal's outbound FIX messages against its session store.

Design contract:
- the input is what re-execution handed to the venue (:class:`replay.nodes.offline.
  OfflineVenue.handed`: each committed command, a submit with the order request the live node
  built as of the command) and the session store's FIX_OUT records (``<journal>.fix``);
- the store's application messages must be exactly what those commands make: each
  NewOrderSingle of a first version in the order of the submits, same ClOrdID, side, quantity,
  and price (a limit's own; an emulated market order's protection price on the marketable side
  of the reference quote, no worse than ``max_bps``); a submit without a NewOrderSingle only
  when the node journaled the venue's refusal (``refused``: the capability denial); every
  OrderCancelRequest / OrderCancelReplaceRequest for an order a cancel, modify or cancel-all
  was handed for, after its NewOrderSingle. Re-submissions of an emulated modify (versions >
  0) follow venue answers, not commands, and session messages are the session layer's: both
  are left out, and so are voided messages (:func:`adapters.fix.store.without_voided`);
- it returns one line per difference (empty: the messages are reproduced).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from adapters.fix import codes
from adapters.fix.store import without_voided
from domain.codec import as_kind
from domain.enums import OrderSide, OrderType
from domain.kinds import Kind


def fix_out_divergences(handed: list[tuple[str, int, Any]], store: np.ndarray,
                        refused: set[int], max_bps: int = 10_000) -> list[str]:
    """Returns the differences between ``handed`` and the FIX_OUT records of ``store``."""
    store = without_voided(store)  # never sent: their commands were lost, not re-made
    outs = as_kind(store[store["kind"] == Kind.FIX_OUT], Kind.FIX_OUT)
    news, amends = [], []
    for rec in outs:
        msg_type = codes.unpack_msg_type(int(rec["msg_type"]))
        if msg_type == codes.NEW_ORDER_SINGLE and int(rec["cl_ord_version"]) == 0:
            news.append(rec)
        elif msg_type in (codes.CANCEL_REQUEST, codes.CANCEL_REPLACE):
            amends.append(rec)
    problems: list[str] = []
    submits = [(coid, req) for op, coid, req in handed if op == "submit"]
    i = 0
    for coid, req in submits:
        if i < len(news) and int(news[i]["client_order_id"]) == coid:
            problems += _compare(coid, req, news[i], max_bps)
            i += 1
        elif coid not in refused:  # (refused: denied before anything was sent)
            problems.append(f"order {coid}: submitted, but the session store holds no "
                            "NewOrderSingle for it (in submit order)")
    for rec in news[i:]:
        problems.append(f"FIX_OUT MsgSeqNum {int(rec['msg_seq_num'])}: NewOrderSingle for order "
                        f"{int(rec['client_order_id'])} that no command submitted")
    may_amend = {coid for op, coid, _ in handed if op in ("cancel", "modify")}
    cancel_all = any(op == "cancel_all" for op, _, _ in handed)
    submitted = {coid for coid, _ in submits}
    for rec in amends:
        coid = int(rec["client_order_id"])
        if coid not in submitted or (coid not in may_amend and not cancel_all):
            problems.append(f"FIX_OUT MsgSeqNum {int(rec['msg_seq_num'])}: cancel/replace for "
                            f"order {coid} that no command asked for")
    return problems


def _compare(coid: int, req: Any, rec: Any, max_bps: int) -> list[str]:
    seq = int(rec["msg_seq_num"])
    got = (int(rec["client_order_id"]), int(rec["side"]), int(rec["quantity"]))
    want = (coid, int(req.side), int(req.quantity))
    if got != want:
        return [f"FIX_OUT MsgSeqNum {seq}: NewOrderSingle (order, side, qty) {got}, the "
                f"re-executed command makes {want}"]
    price = int(rec["price"])
    if req.order_type != OrderType.MARKET or int(rec["order_type"]) == OrderType.MARKET:
        if req.price is not None and price != int(req.price):
            return [f"FIX_OUT MsgSeqNum {seq}: order {coid} price {price}, the re-executed "
                    f"command says {req.price}"]
        return []
    ref = req.reference_price
    worst = -(-abs(ref) * max_bps // 10_000) if ref is not None else 0
    buy = req.side == OrderSide.BUY
    if ref is None or not (ref <= price <= ref + worst if buy else ref - worst <= price <= ref):
        return [f"FIX_OUT MsgSeqNum {seq}: emulated market order {coid} priced {price}, not a "
                f"protection price beyond the reference {ref} of the re-executed command"]
    return []
