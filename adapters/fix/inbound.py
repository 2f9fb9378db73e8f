"""Inbound messages to FIX_IN records: the fields of an ExecutionReport, OrderCancelReject,
Reject and the session messages whose numbers recovery needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import simplefix

from adapters.fix import codes
from adapters.fix.store import new_record
from domain.kinds import Kind
from domain.schema import NULL_I64

if TYPE_CHECKING:
    from adapters.fix.session import FixSession

_REQUIRED = {
    codes.EXECUTION_REPORT: (11, 150, 39, 14, 151),
    codes.CANCEL_REJECT: (11, 39),
    codes.SEQUENCE_RESET: (36,),
    codes.RESEND_REQUEST: (7, 16),
}


def fix_in_record(msg: simplefix.FixMessage, session: FixSession,
                  lenient: bool = False) -> np.ndarray:
    """Returns the FIX_IN record of ``msg``; raises ValueError naming a missing required tag
    (unless ``lenient``: then the record holds what is there)."""
    msg_type = msg.get(35)
    if not lenient:
        for tag in _REQUIRED.get(msg_type, ()):
            if msg.get(tag) is None:
                raise ValueError(f"Required tag missing: {tag}")
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
    typed["client_order_id"] = coid
    typed["cl_ord_version"] = version
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
