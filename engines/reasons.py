"""Reason templates: a refusal's text is interned once per template, never once per order.

Design contract:
- the ``reason_id`` of an ORDER_DENIED / ORDER_REJECTED / ORDER_MODIFY_REJECTED /
  ORDER_CANCEL_REJECTED record may name a template whose ``{field}`` placeholders are fields of
  that same record (``{client_order_id}``, ``{instrument_id}``...): the string table then grows
  with the number of templates, not with the number of orders (issue 19, bounded memory);
- :func:`reason_text` renders a record's reason: the template with the record's own values;
  text without placeholders renders as itself;
- each :class:`Reason` member is one template (its value), used by the engines that refuse;
- a refusal whose text holds numbers of its own (amounts, limits, counts, another order's id:
  the risk engine's) is a :class:`Refusal`: fixed text, ``{field}`` parts and up to
  :data:`MAX_ARGS` :class:`Num` parts. With numbers, its template (``{0}``, ``{1}``... for the
  numbers) is interned and a REASON_ARGS record carrying the order id, the template id and the
  numbers (raw value and decimal places each) is emitted just before the refusal record; the
  cache keeps them on the order (``Order.reason_args``), so the text is rendered when read
  (:func:`render`, :func:`reason_text` with ``args``, :func:`order_reason`), exactly as the
  whole text was before;
- a refusal whose fixed text could be read as a placeholder, or with more numbers than
  :data:`MAX_ARGS`, is interned as its rendered text (correct, merely not shared).
"""

from __future__ import annotations

import operator
import re
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from domain.codec import RAW_TUPLES
from domain.kinds import Kind

_PLACEHOLDER = re.compile(r"\{([a-z_]+|[0-9]+)\}")
#: Numbers a REASON_ARGS record carries.
MAX_ARGS = 8


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


class Num(NamedTuple):
    """A number in a refusal's text: ``raw`` scaled by ``10**-precision`` (as Decimal prints)."""

    raw: int
    precision: int = 0


class Field(NamedTuple):
    """A placeholder for a field of the refusal record itself (``client_order_id``...)."""

    name: str


def units(raw: int, precision: int) -> str:
    """Returns a raw value as text, as the refusal texts have always printed amounts."""
    return str(Decimal(raw).scaleb(-precision))


class Refusal(NamedTuple):
    """A refusal's text as parts: str (fixed), :class:`Field` and :class:`Num`."""

    parts: tuple[Any, ...]

    @classmethod
    def of(cls, *parts: Any) -> Refusal:
        return cls(tuple(parts))

    def within(self, *prefix: Any) -> Refusal:
        """Returns this refusal behind ``prefix`` parts (e.g. the order list that holds it)."""
        return Refusal((*prefix, *self.parts))

    @property
    def numbers(self) -> tuple[Num, ...]:
        return tuple(p for p in self.parts if isinstance(p, Num))

    @property
    def shared(self) -> bool:
        """Whether the template is interned (else the rendered text is, see the contract)."""
        return len(self.numbers) <= MAX_ARGS and not any(
            isinstance(p, str) and _PLACEHOLDER.search(p) for p in self.parts)

    def split(self) -> tuple[str, tuple[Num, ...], bool]:
        """Returns ``(template(), numbers, shared)`` in one pass over the parts."""
        out: list[str] = []
        numbers: list[Num] = []
        literal = False  # some fixed text could be read as a placeholder
        for p in self.parts:
            if isinstance(p, Num):
                out.append(f"{{{len(numbers)}}}")
                numbers.append(p)
            elif isinstance(p, Field):
                out.append(f"{{{p.name}}}")
            else:
                literal = literal or ("{" in p and _PLACEHOLDER.search(p) is not None)
                out.append(p)
        return "".join(out), tuple(numbers), len(numbers) <= MAX_ARGS and not literal

    def template(self) -> str:
        """Returns the text with ``{field}`` and ``{0}``... placeholders (numbers in order)."""
        out, n = [], 0
        for p in self.parts:
            if isinstance(p, Num):
                out.append(f"{{{n}}}")
                n += 1
            elif isinstance(p, Field):
                out.append(f"{{{p.name}}}")
            else:
                out.append(p)
        return "".join(out)

    def text(self, rec: Any = None) -> str:
        """Returns the rendered text (``{field}`` parts from ``rec``, left as written without)."""
        return "".join(units(*p) if isinstance(p, Num) else
                       (str(getattr(rec, p.name)) if rec is not None else f"{{{p.name}}}")
                       if isinstance(p, Field) else p for p in self.parts)


def render(template: str, rec: Any = None, args: tuple[tuple[int, int], ...] | None = None
           ) -> str:
    """Returns ``template`` with ``{field}`` filled from ``rec``'s attributes and ``{n}`` from
    ``args`` ((raw, precision) pairs); a placeholder with no value is left as written."""
    def value(m: re.Match[str]) -> str:
        key = m.group(1)
        if key.isdigit():
            i = int(key)
            return units(*args[i]) if args is not None and i < len(args) else m.group(0)
        found = getattr(rec, key, None) if rec is not None else None
        return m.group(0) if found is None or callable(found) else str(found)

    return _PLACEHOLDER.sub(value, template)


def reason_text(strings: Any, rec: Any, args: Any = None) -> str:
    """Returns the reason of ``rec`` (a raw namedtuple with ``reason_id``) as text, its
    template's placeholders filled from ``rec``'s fields and, for a template with numbers, from
    ``args`` (the REASON_ARGS record emitted with it, or its (raw, precision) pairs); unknown
    names are left as written."""
    if args is not None and hasattr(args, "_fields"):  # the record itself
        args = args_of(args)
    return render(strings.text(rec.reason_id), rec, args)


def args_of(rec: Any) -> tuple[tuple[int, int], ...]:
    """Returns the (raw, precision) pairs of a REASON_ARGS record (a raw namedtuple)."""
    if type(rec) is _ARGS_TUPLE:  # the decoded record: its fields by position (the cache's)
        # A refusal denies every order of its list with the same numbers (a denied bracket:
        # three REASON_ARGS alike), and a run's refusals mostly repeat theirs: the pairs of the
        # last numbers seen are kept (one immutable tuple: same value, built once).
        numbers = _NUMBERS_AND_PRECISIONS(rec)
        last = _LAST_ARGS
        if numbers == last[0]:
            return last[1]
        # two slices of MAX_ARGS each (equal by the layout check below)
        pairs = tuple(zip(_NUMBERS(rec), _PRECISIONS(rec), strict=True))
        last[:] = numbers, pairs
        return pairs
    return tuple((getattr(rec, f"a{i}"), getattr(rec, f"p{i}")) for i in range(MAX_ARGS))


def _args_layout() -> tuple[Any, int, int]:
    """The REASON_ARGS namedtuple and the positions of ``a0`` and ``p0`` (a0..a7 and p0..p7
    are consecutive, checked here)."""
    cls = RAW_TUPLES[int(Kind.REASON_ARGS)]
    fields = cls._fields
    a0, p0 = fields.index("a0"), fields.index("p0")
    for i in range(MAX_ARGS):
        if fields[a0 + i] != f"a{i}" or fields[p0 + i] != f"p{i}":
            raise RuntimeError(f"REASON_ARGS fields are not a0..a7 / p0..p7 in order: {fields}")
    if abs(a0 - p0) != MAX_ARGS:
        raise RuntimeError(f"REASON_ARGS a0..a7 and p0..p7 are not adjacent: {fields}")
    return cls, a0, p0


_ARGS_TUPLE, _A0, _P0 = _args_layout()
_NUMBERS = operator.itemgetter(slice(_A0, _A0 + MAX_ARGS))
_PRECISIONS = operator.itemgetter(slice(_P0, _P0 + MAX_ARGS))
#: both slices' fields at once (a0..a7 and p0..p7 are adjacent, checked above)
_NUMBERS_AND_PRECISIONS = operator.itemgetter(slice(min(_A0, _P0), min(_A0, _P0) + 2 * MAX_ARGS))
_LAST_ARGS: list[Any] = [None, ()]  # (numbers and precisions, their pairs) of the last record


def order_reason(order: Any, text: Any) -> str:
    """Returns an order's last reason as text (``text``: reason id -> its string), rendered
    from the order's fields and the numbers of its REASON_ARGS; "" without a reason."""
    if not order.reason_id:
        return ""
    return render(text(order.reason_id), order, order.reason_args)
