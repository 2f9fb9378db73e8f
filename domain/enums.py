"""Enumerations stored in records as small unsigned integers.

Contract: a value, once published in a journal, keeps its meaning forever. New members get new
numbers; numbers are never reused. Zero means "none / not applicable" wherever it is allowed.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag


class RecordFlag(IntFlag):
    """Bit flags of the record header's ``flags`` field."""

    INPUT = 0x0001  # came from outside the deterministic core; re-execution feeds only these
    LAST = 0x0002  # last record of one venue event: a book is consistent only after it
    SNAPSHOT = 0x0004  # part of a venue's initial book snapshot
    BAD_TS = 0x0008  # the venue flagged the timestamp as unreliable (Databento BAD_TS_RECV)
    MAYBE_BAD_BOOK = 0x0010  # the venue flagged the book as possibly inconsistent


class OrderSide(IntEnum):
    NO_SIDE = 0
    BUY = 1
    SELL = 2


class OrderType(IntEnum):
    MARKET = 1
    LIMIT = 2
    STOP_MARKET = 3
    STOP_LIMIT = 4
    MARKET_TO_LIMIT = 5
    MARKET_IF_TOUCHED = 6  # a market order once the price touches the trigger (buy: at or below)
    LIMIT_IF_TOUCHED = 7  # a limit order once the price touches the trigger (buy: at or below)
    TRAILING_STOP_MARKET = 8  # a stop-market whose trigger follows the market at an offset
    TRAILING_STOP_LIMIT = 9  # a stop-limit whose trigger and limit follow the market


class TrailingOffsetType(IntEnum):
    """The unit of a trailing stop's offsets (``domain.trailing``)."""

    PRICE = 1  # a raw price at the instrument's precision
    BASIS_POINTS = 2  # hundredths of a basis point of the basis price (25 bp = 2500)
    TICKS = 3  # a number of price increments


class TriggerType(IntEnum):
    """The price a trailing stop follows."""

    DEFAULT = 0  # BID_ASK (quote-driven data is the common case here; NautilusTrader: LAST)
    BID_ASK = 1  # a sell follows the bid, a buy the ask (QUOTE records)
    LAST_PRICE = 2  # the last trade (TRADE records)
    MID_POINT = 3  # (bid + ask) / 2 (QUOTE records)


class TimeInForce(IntEnum):
    GTC = 1
    IOC = 2
    FOK = 3
    GTD = 4
    DAY = 5


class OrderOption(IntFlag):
    """Bit flags of an order's ``options`` field."""

    NONE = 0
    POST_ONLY = 0x01  # rejected rather than taking liquidity
    REDUCE_ONLY = 0x02  # may only reduce an open position


class ContingencyType(IntEnum):
    NO_CONTINGENCY = 0
    OCO = 1  # one cancels the other
    OTO = 2  # one triggers the other
    OUO = 3  # one updates the other


class LiquiditySide(IntEnum):
    NO_LIQUIDITY_SIDE = 0
    MAKER = 1
    TAKER = 2


class AggressorSide(IntEnum):
    NO_AGGRESSOR = 0
    BUYER = 1
    SELLER = 2


class BookAction(IntEnum):
    """What a book delta does. TRADE and FILL are reports and never change the book."""

    ADD = 1
    MODIFY = 2
    CANCEL = 3  # removes ``size`` from the order (L3) or sets the level to ``size`` (L2: use MODIFY)
    CLEAR = 4
    TRADE = 5
    FILL = 6
    NONE = 7  # DBN action N: changes nothing (it may carry the LAST flag)


class BookLevel(IntEnum):
    L1 = 1  # top of book, from quotes
    L2 = 2  # aggregated by price
    L3 = 3  # by order id, with queue order per level


class TradingState(IntEnum):
    ACTIVE = 1
    REDUCING = 2  # only orders that reduce a position are allowed
    HALTED = 3


class MarketStatus(IntEnum):
    """An instrument's trading status at its venue (the codes of Databento's ``StatusAction``).

    Only ``TRADING`` is continuous trading; in the others a crossed book can be legitimate."""

    NONE = 0  # no change / not stated
    PRE_OPEN = 1  # orders accepted, no matching (a crossed book is legitimate)
    PRE_CROSS = 2  # the auction's cross is about to happen
    QUOTING = 3  # quoting but not trading
    CROSS = 4  # the auction is crossing
    ROTATION = 5  # an opening rotation
    NEW_PRICE_INDICATION = 6
    TRADING = 7  # continuous trading
    HALT = 8
    PAUSE = 9
    SUSPEND = 10
    PRE_CLOSE = 11
    CLOSE = 12
    POST_CLOSE = 13
    SSR_CHANGE = 14  # short-sell restriction changed; the trading status is unchanged
    NOT_AVAILABLE_FOR_TRADING = 15


class AccountType(IntEnum):
    CASH = 1
    MARGIN = 2


class InstrumentClass(IntEnum):
    FX_PAIR = 1
    EQUITY = 2
    FUTURE = 3
    CRYPTO_PERPETUAL = 4


class PositionSide(IntEnum):
    FLAT = 0
    LONG = 1
    SHORT = 2


class RunEndReason(IntEnum):
    CLEAN = 1  # the run reached its natural end
    STOPPED = 2  # an operator stopped it
    FAULTED = 3  # a broken invariant stopped the kernel (crash-only); the journal keeps its prefix
    INTERRUPTED = 4  # an operator's SIGINT stopped the run between publishes; it resumes


class FailoverReason(IntEnum):
    LOCK_RELEASED = 1  # the primary's writer lock was free (the primary process died)
    HEARTBEAT_TIMEOUT = 2  # the primary was silent past the timeout; the standby fenced it


class BarAggregation(IntEnum):
    TICK = 1
    VOLUME = 2
    VALUE = 3
    SECOND = 10
    MINUTE = 11
    HOUR = 12
    DAY = 13


class PriceType(IntEnum):
    BID = 1
    ASK = 2
    MID = 3
    LAST = 4
