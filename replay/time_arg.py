"""Times given on the command line (``--to-time``) -> ns since the epoch.

Accepted forms: integer nanoseconds (``1577916000065000000``), an ISO 8601 date
(``2020-01-01``: its midnight), an ISO 8601 time with ``T`` or a space between date and time
and up to 9 fraction digits (``2020-01-01T22:00:00.065``, ``2020-01-01 22:00:00``), with an
offset or ``Z``; no offset means UTC. Anything else, or a time outside the int64 ns range,
raises ValueError naming the text and the forms.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_INT = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^(?P<head>\d{4}-\d{2}-\d{2})[T ](?P<clock>\d{2}:\d{2}(?::\d{2})?)"
                   r"(?:\.(?P<frac>\d{1,9}))?(?P<tz>Z|[+-]\d{2}:?\d{2})?$")
_I64 = (-(2**63), 2**63 - 1)
FORMS = ("integer ns, YYYY-MM-DD, or YYYY-MM-DD[T| ]HH:MM[:SS[.fffffffff]][Z|+HH:MM] "
         "(UTC when no offset)")


def _bad(option: str, text: str, why: str = "") -> ValueError:
    return ValueError(f"{option}: {why or 'not a time'}, got {text!r}; give {FORMS}")


def parse_time_ns(text: str, option: str = "--to-time") -> int:
    """Returns ns since the epoch of ``text`` (see the module contract)."""
    s = text.strip()
    if _INT.match(s):
        ns = int(s)
    elif _DATE.match(s) or _TIME.match(s):
        m = _TIME.match(s)
        head, clock, frac, tz = (s, "00:00", "", None) if m is None else \
            (m["head"], m["clock"], m["frac"] or "", m["tz"])
        try:
            stamp = datetime.fromisoformat(f"{head}T{clock}{'+00:00' if tz in (None, 'Z') else tz}")
        except ValueError as exc:
            raise _bad(option, text, str(exc)) from None
        delta = stamp - datetime(1970, 1, 1, tzinfo=UTC)
        ns = (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + int(frac.ljust(9, "0"))
    else:
        raise _bad(option, text)
    if not _I64[0] <= ns <= _I64[1]:
        raise _bad(option, text, "outside the int64 nanosecond range (1677-09-21..2262-04-11)")
    return ns
