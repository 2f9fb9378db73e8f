"""Reason templates: a refusal's text is interned once per template, never once per order.

Design contract:
- the ``reason_id`` of an ORDER_DENIED / ORDER_REJECTED / ORDER_MODIFY_REJECTED /
  ORDER_CANCEL_REJECTED record may name a template whose ``{field}`` placeholders are fields of
  that same record (``{client_order_id}``, ``{instrument_id}``...): the string table then grows
  with the number of templates, not with the number of orders (issue 19, bounded memory);
- :func:`reason_text` renders a record's reason: the template with the record's own values;
  text without placeholders renders as itself;
- each :class:`Reason` member is one template (its value), used by the engines that refuse.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

_FIELD = re.compile(r"\{([a-z_]+)\}")


class Reason(StrEnum):
    """Templates of the refusals the execution engine emits."""

    CANCEL_UNKNOWN = "cancel: order {client_order_id} is unknown"
    CANCEL_NEVER_SUBMITTED = "cancel: order {client_order_id} was never submitted"
    CANCEL_CLOSED_FILLED = "cancel: order {client_order_id} is closed (FILLED)"
    CANCEL_CLOSED_CANCELED = "cancel: order {client_order_id} is closed (CANCELED)"
    CANCEL_CLOSED_EXPIRED = "cancel: order {client_order_id} is closed (EXPIRED)"
    CANCEL_CLOSED_REJECTED = "cancel: order {client_order_id} is closed (REJECTED)"
    CANCEL_CLOSED_DENIED = "cancel: order {client_order_id} is closed (DENIED)"
    # closed by an event earlier in the same cascade, not yet applied (engines.order_projection)
    CANCEL_CLOSING_FILLED = ("cancel: order {client_order_id} is closed (FILLED) by an event "
                             "of this cascade")
    CANCEL_CLOSING_CANCELED = ("cancel: order {client_order_id} is closed (CANCELED) by an "
                               "event of this cascade")
    CANCEL_CLOSING_EXPIRED = ("cancel: order {client_order_id} is closed (EXPIRED) by an event "
                              "of this cascade")
    CANCEL_CLOSING_REJECTED = ("cancel: order {client_order_id} is closed (REJECTED) by an "
                               "event of this cascade")
    CANCEL_CLOSING_DENIED = ("cancel: order {client_order_id} is closed (DENIED) by an event "
                             "of this cascade")


def reason_text(strings: Any, rec: Any) -> str:
    """Returns the reason of ``rec`` (a raw namedtuple with ``reason_id``) as text, its
    template's placeholders filled from ``rec``'s fields (unknown names are left as written)."""
    template = strings.text(rec.reason_id)
    fields = rec._fields

    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        return str(getattr(rec, name)) if name in fields else m.group(0)

    return _FIELD.sub(value, template)
