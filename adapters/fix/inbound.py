"""Inbound messages to FIX_IN records: the fields of an ExecutionReport, OrderCancelReject,
Reject and the session messages whose numbers recovery needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import simplefix

from adapters.fix import codes
from domain.codec import packer
from domain.kinds import RECORD_DTYPE, Kind

if TYPE_CHECKING:
    from adapters.fix.session import FixSession

_PACK_IN = packer(Kind.FIX_IN).pack
_REQUIRED = {
    codes.EXECUTION_REPORT: (11, 150, 39, 14, 151),
    codes.CANCEL_REJECT: (11, 39),
    codes.SEQUENCE_RESET: (36,),
    codes.RESEND_REQUEST: (7, 16),
}


def fix_in_record(msg: simplefix.FixMessage, session: FixSession,
                  lenient: bool = False) -> np.ndarray:
    """Returns the FIX_IN record of ``msg``; raises ValueError naming a missing required tag
    (unless ``lenient``: then the record holds what is there). Packed with the schema's struct
    (:func:`domain.codec.packer`): a numpy field write per field cost more than the rest of
    the message's handling on the session thread."""
    first: dict[bytes, bytes] = {}  # each tag's first value, as msg.get finds it
    for tag, value in msg.pairs:
        first.setdefault(tag, value)

    def get(tag: int) -> bytes | None:
        return first.get(b"%d" % tag)

    msg_type = get(35)
    if not lenient:
        for tag in _REQUIRED.get(msg_type, ()):
            if get(tag) is None:
                raise ValueError(f"Required tag missing: {tag}")
    fields = {"msg_seq_num": int(get(34)), "msg_type": codes.pack_msg_type(msg_type),
              "session_id": session.session_id, "poss_dup": get(43) == b"Y"}
    if msg_type == codes.SEQUENCE_RESET:
        fields["ref_seq_num"] = int(get(36) or 0)
    elif msg_type == codes.RESEND_REQUEST:
        fields["ref_seq_num"] = int(get(7) or 0)
        fields["end_seq_num"] = int(get(16) or 0)
    elif msg_type == codes.REJECT:
        fields["ref_seq_num"] = int(get(45) or 0)
    coid, version = codes.parse_cl_ord_id(get(11))
    if msg_type == codes.CANCEL_REJECT:
        coid, version = codes.parse_cl_ord_id(get(41))
    price_prec, size_prec = session.journal.state.precisions.get(coid, (0, 0))
    exec_type, ord_status = get(150), get(39)
    fields.update(
        client_order_id=coid, cl_ord_version=version, price_precision=price_prec,
        size_precision=size_prec, exec_type=exec_type[0] if exec_type else 0,
        ord_status=ord_status[0] if ord_status else 0,
        last_qty=codes.to_raw(get(32), size_prec), cum_qty=codes.to_raw(get(14), size_prec),
        leaves_qty=codes.to_raw(get(151), size_prec), exec_id=codes.exec_id_number(get(17)))
    last_px = get(31)
    if last_px is not None:  # else NULL (the packer's default)
        fields["last_px"] = codes.to_raw(last_px, price_prec)
    text = get(58)
    if text:
        fields["reason_id"] = session.intern_reason(text.decode("utf-8", "replace"))
    return np.frombuffer(bytearray(_PACK_IN(**fields)), dtype=RECORD_DTYPE)
