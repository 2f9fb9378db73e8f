"""The one table of message kinds. Everything about a record's layout is derived from it.

Design contract:
- a kind's code and its fields' meaning never change once released; add kinds, never edit them
  (a changed layout changes :data:`SCHEMA_FINGERPRINT`, and journals written with the old one
  refuse to open);
- ids of strings (instrument symbols, reasons, tags) are interned by ``STRING`` records and
  referred to by their u4 id; currencies are 1-4 ASCII characters packed into a u4;
- prices and quantities are int64 raw values scaled by ``10**precision``; each record that holds
  them also holds their precision, so it decodes without any other state.
"""

from __future__ import annotations

from enum import IntEnum

from domain.schema import (
    RECORD_DTYPE,
    Field,
    KindLayout,
    KindSpec,
    build_layouts,
    fingerprint,
)

F = Field

_INSTRUMENT = F("instrument_id", "<u4", "", "interned id of the instrument symbol SYMBOL.VENUE")
_PRICE_PRECISION = F("price_precision", "u1", "", "decimal places of the prices in this record")
_SIZE_PRECISION = F("size_precision", "u1", "", "decimal places of the sizes in this record")
_ORDER_REF = (
    F("client_order_id", "<u8", "", "client order id: strategy index << 40 | per-strategy count"),
    _INSTRUMENT,
    F("strategy_id", "<u4", "", "interned id of the strategy"),
)
_VENUE_ORDER_ID = F("venue_order_id", "<u8", "", "the venue's id for the order; 0 when unknown")
_REASON = F("reason_id", "<u4", "", "interned id of the reason text")

KIND_TABLE: tuple[KindSpec, ...] = (
    # --- control -----------------------------------------------------------------------------
    KindSpec("STRING", 1, (
        F("string_id", "<u4", "", "the id being defined"),
        F("part", "<u2", "", "index of this part, from 0"),
        F("n_parts", "<u2", "", "number of parts; a string longer than 80 bytes spans records"),
        F("text", "S80", "text", "UTF-8 bytes of this part, NUL-padded"),
    ), "Interns a string: defines string_id for the rest of the log.", "control"),
    KindSpec("RUN_STARTED", 2, (
        F("run_id", "<u8", "", "derived from config hash and seed: reruns agree"),
        F("parent_run_id", "<u8", "", "run this one continues or re-executes; 0 for none"),
        F("schema_fingerprint", "<u8", "", "SCHEMA_FINGERPRINT of the writer"),
        F("config_hash", "<u8", "", "hash of the canonical config JSON"),
        F("seed", "<u8", "", "seed of every random generator of the run"),
        F("manifest_id", "<u4", "", "interned id of the manifest JSON (STRING records after this)"),
        F("version_major", "<u2", "", "ringbus version of the writer"),
        F("version_minor", "<u2", "", ""),
        F("version_patch", "<u2", "", ""),
    ), "Opens a run; its manifest JSON follows as STRING records.", "control"),
    KindSpec("RUN_ENDED", 3, (
        F("run_id", "<u8", "", ""),
        F("n_records", "<u8", "", "records in the run, this one included"),
        F("state_hash", "<u8", "", "hash of the derived state at this record"),
        F("reason", "u1", "enum:RunEndReason", ""),
    ), "Closes a run cleanly.", "control"),
    KindSpec("RUN_RECOVERED", 4, (
        F("crashed_run_id", "<u8", "", "the run that ended without RUN_ENDED"),
        F("last_seq", "<u8", "", "last seq the crashed run had journaled"),
        F("snapshot_seq", "<u8", "", "seq of the snapshot recovery started from; 0 for none"),
        F("state_hash", "<u8", "", "hash of the recovered state at last_seq"),
    ), "Marks, in the log, that a crashed run was recovered.", "control"),
    KindSpec("CHECKPOINT", 5, (
        F("state_hash", "<u8", "", "hash of the derived state after the previous record"),
        F("n_records", "<u8", "", "records since the run started"),
    ), "A state hash that replay must reproduce.", "control"),
    KindSpec("TIMER", 6, (
        F("timer_id", "<u4", "", "interned timer name"),
        F("owner_id", "<u4", "", "interned id of the component that set the timer"),
        F("interval_ns", "<i8", "", "repeat interval; 0 for a one-shot alert"),
        F("fire_count", "<u8", "", "how many times this timer has fired, this one included"),
    ), "A timer fire; ts_event is the scheduled time.", "control"),
    KindSpec("DISPATCH", 7, (
        F("ref_seq", "<u8", "", "seq of the record delivered late"),
        F("target_id", "<u4", "", "interned id of the component it is delivered to"),
    ), "Delivers an earlier record to a component after a latency (simulated venues).", "control"),
    KindSpec("INSTRUMENT", 8, (
        _INSTRUMENT,
        F("instrument_class", "u1", "enum:InstrumentClass", ""),
        _PRICE_PRECISION,
        _SIZE_PRECISION,
        F("is_inverse", "u1", "", "1 for an inverse contract"),
        F("tick_size", "<i8", "price:price_precision", "smallest price increment"),
        F("lot_size", "<i8", "qty:size_precision", "smallest quantity increment"),
        F("multiplier", "<i8", "qty:size_precision", "contract multiplier"),
        F("base_currency", "<u4", "currency", "base currency; 0 when none"),
        F("quote_currency", "<u4", "currency", ""),
        F("settlement_currency", "<u4", "currency", ""),
        F("maker_fee", "<f8", "", "fee rate for liquidity added, e.g. 0.0002; negative is a rebate"),
        F("taker_fee", "<f8", "", "fee rate for liquidity taken"),
        F("margin_init", "<f8", "", "initial margin rate"),
        F("margin_maint", "<f8", "", "maintenance margin rate"),
        F("expiration_ns", "<i8", "", "expiry of a future; 0 for none"),
    ), "Defines an instrument.", "data"),
    # --- market data -------------------------------------------------------------------------
    KindSpec("QUOTE", 20, (
        _INSTRUMENT,
        _PRICE_PRECISION,
        _SIZE_PRECISION,
        F("bid", "<i8", "price:price_precision", ""),
        F("ask", "<i8", "price:price_precision", ""),
        F("bid_size", "<i8", "qty:size_precision", ""),
        F("ask_size", "<i8", "qty:size_precision", ""),
    ), "Top of book.", "data"),
    KindSpec("TRADE", 21, (
        _INSTRUMENT,
        _PRICE_PRECISION,
        _SIZE_PRECISION,
        F("aggressor_side", "u1", "enum:AggressorSide", ""),
        F("price", "<i8", "price:price_precision", ""),
        F("size", "<i8", "qty:size_precision", ""),
        F("trade_id", "<u8", "", "venue trade id"),
    ), "A trade printed by the venue.", "data"),
    KindSpec("BAR", 22, (
        _INSTRUMENT,
        _PRICE_PRECISION,
        _SIZE_PRECISION,
        F("aggregation", "u1", "enum:BarAggregation", ""),
        F("price_type", "u1", "enum:PriceType", ""),
        F("step", "<u4", "", "bar step in units of the aggregation (e.g. 5 for 5-minute)"),
        F("open", "<i8", "price:price_precision", ""),
        F("high", "<i8", "price:price_precision", ""),
        F("low", "<i8", "price:price_precision", ""),
        F("close", "<i8", "price:price_precision", ""),
        F("volume", "<i8", "qty:size_precision", ""),
        F("ts_open", "<i8", "", "open time of the bar, ns; ts_event is its close"),
    ), "An OHLCV bar.", "data"),
    KindSpec("BOOK_DELTA", 23, (
        _INSTRUMENT,
        _PRICE_PRECISION,
        _SIZE_PRECISION,
        F("action", "u1", "enum:BookAction", ""),
        F("side", "u1", "enum:OrderSide", "NO_SIDE for CLEAR"),
        F("level", "u1", "enum:BookLevel", "L2: by price; L3: by order id"),
        F("venue_flags", "u1", "", "the venue's raw flags byte (Databento flags for DBN)"),
        F("price", "<i8", "price:price_precision", ""),
        F("size", "<i8", "qty:size_precision", "L2: new level size; L3: order size / amount"),
        F("order_id", "<u8", "", "L3 order id; 0 for L2"),
        F("venue_sequence", "<u8", "", "the venue's sequence number"),
    ), "One change to an L2 or L3 book, or a trade / fill report from the order flow.", "data"),
    # --- commands ----------------------------------------------------------------------------
    KindSpec("SUBMIT_ORDER", 40, (
        *_ORDER_REF,
        F("position_id", "<u8", "", "position to apply fills to (hedging); 0 for default"),
        F("order_list_id", "<u8", "", "0 unless part of SUBMIT_ORDER_LIST"),
    ), "Asks the venue to take an initialized order.", "command"),
    KindSpec("SUBMIT_ORDER_LIST", 41, (
        F("order_list_id", "<u8", "", "id of the list; its orders were initialized just before"),
        _INSTRUMENT,
        F("strategy_id", "<u4", "", ""),
        F("n_orders", "<u4", "", ""),
    ), "Submits a list of contingent orders (e.g. a bracket).", "command"),
    KindSpec("MODIFY_ORDER", 42, (
        *_ORDER_REF,
        _PRICE_PRECISION,
        _SIZE_PRECISION,
        F("quantity", "<i8", "qty?:size_precision", "new quantity; NULL to keep"),
        F("price", "<i8", "price?:price_precision", "new limit price; NULL to keep"),
        F("trigger_price", "<i8", "price?:price_precision", "new trigger price; NULL to keep"),
    ), "Asks to change an open order.", "command"),
    KindSpec("CANCEL_ORDER", 43, _ORDER_REF, "Asks to cancel an open order.", "command"),
    KindSpec("CANCEL_ALL_ORDERS", 44, (
        _INSTRUMENT,
        F("strategy_id", "<u4", "", ""),
        F("side", "u1", "enum:OrderSide", "NO_SIDE for both"),
    ), "Asks to cancel every open order of a strategy on an instrument.", "command"),
    KindSpec("SET_TRADING_STATE", 45, (
        F("state", "u1", "enum:TradingState", ""),
    ), "Operator command: ACTIVE, REDUCING or HALTED.", "command"),
    # --- order events ------------------------------------------------------------------------
    KindSpec("ORDER_INITIALIZED", 60, (
        *_ORDER_REF,
        F("order_type", "u1", "enum:OrderType", ""),
        F("side", "u1", "enum:OrderSide", ""),
        F("time_in_force", "u1", "enum:TimeInForce", ""),
        F("options", "u1", "flag:OrderOption", "POST_ONLY, REDUCE_ONLY"),
        F("contingency", "u1", "enum:ContingencyType", ""),
        _PRICE_PRECISION,
        _SIZE_PRECISION,
        F("quantity", "<i8", "qty:size_precision", ""),
        F("price", "<i8", "price?:price_precision", "limit price; NULL for none"),
        F("trigger_price", "<i8", "price?:price_precision", "stop trigger price; NULL for none"),
        F("expire_time_ns", "<i8", "", "GTD expiry; 0 for none"),
        F("order_list_id", "<u8", "", "0 unless in a list"),
        F("linked_order_id", "<u8", "", "client order id of the contingent partner; 0 for none"),
        F("parent_order_id", "<u8", "", "client order id of the OTO parent; 0 for none"),
    ), "An order was created by a strategy.", "event"),
    KindSpec("ORDER_DENIED", 61, (*_ORDER_REF, _REASON), "Risk refused the order.", "event"),
    KindSpec("ORDER_SUBMITTED", 62, (
        *_ORDER_REF,
        F("account_id", "<u4", "", "interned account id"),
    ), "The order was sent to the venue.", "event"),
    KindSpec("ORDER_ACCEPTED", 63, (*_ORDER_REF, _VENUE_ORDER_ID), "The venue took the order.", "event"),
    KindSpec("ORDER_REJECTED", 64, (*_ORDER_REF, _REASON), "The venue refused the order.", "event"),
    KindSpec("ORDER_CANCELED", 65, (*_ORDER_REF, _VENUE_ORDER_ID), "The order was canceled.", "event"),
    KindSpec("ORDER_EXPIRED", 66, (*_ORDER_REF, _VENUE_ORDER_ID), "The order expired.", "event"),
    KindSpec("ORDER_TRIGGERED", 67, (*_ORDER_REF, _VENUE_ORDER_ID), "A stop order triggered.", "event"),
    KindSpec("ORDER_PENDING_UPDATE", 68, (*_ORDER_REF, _VENUE_ORDER_ID), "A modify was sent.", "event"),
    KindSpec("ORDER_PENDING_CANCEL", 69, (*_ORDER_REF, _VENUE_ORDER_ID), "A cancel was sent.", "event"),
    KindSpec("ORDER_UPDATED", 70, (
        *_ORDER_REF,
        _VENUE_ORDER_ID,
        _PRICE_PRECISION,
        _SIZE_PRECISION,
        F("quantity", "<i8", "qty:size_precision", "the order's quantity now"),
        F("price", "<i8", "price?:price_precision", "limit price now; NULL for none"),
        F("trigger_price", "<i8", "price?:price_precision", "trigger price now; NULL for none"),
    ), "The venue changed the order.", "event"),
    KindSpec("ORDER_MODIFY_REJECTED", 71, (*_ORDER_REF, _VENUE_ORDER_ID, _REASON), "A modify was refused.", "event"),
    KindSpec("ORDER_CANCEL_REJECTED", 72, (*_ORDER_REF, _VENUE_ORDER_ID, _REASON), "A cancel was refused.", "event"),
    KindSpec("ORDER_FILLED", 73, (
        *_ORDER_REF,
        _VENUE_ORDER_ID,
        F("trade_id", "<u8", "", "venue trade id of this fill"),
        F("position_id", "<u8", "", "position the fill applies to"),
        F("side", "u1", "enum:OrderSide", ""),
        F("liquidity_side", "u1", "enum:LiquiditySide", ""),
        _PRICE_PRECISION,
        _SIZE_PRECISION,
        F("account_id", "<u4", "", "interned account id"),
        F("last_qty", "<i8", "qty:size_precision", "quantity of this fill"),
        F("last_px", "<i8", "price:price_precision", "price of this fill"),
        F("commission", "<i8", "money:commission_currency", "commission of this fill"),
        F("commission_currency", "<u4", "currency", ""),
    ), "(Part of) the order was filled.", "event"),
    # --- position and account events -----------------------------------------------------------
    *(
        KindSpec(name, code, (
            F("position_id", "<u8", "", ""),
            _INSTRUMENT,
            F("strategy_id", "<u4", "", ""),
            F("side", "u1", "enum:PositionSide", ""),
            _SIZE_PRECISION,
            F("currency", "<u4", "currency", "settlement currency of the PnL"),
            F("signed_qty", "<i8", "", "raw quantity, positive long, negative short"),
            F("avg_px_open", "<f8", "", "average open price"),
            F("avg_px_close", "<f8", "", "average close price; 0 when nothing closed"),
            F("realized_pnl", "<i8", "money:currency", "realized PnL, commissions included"),
            F("opening_order_id", "<u8", "", "client order id of the order that opened it"),
            F("last_trade_id", "<u8", "", "trade id of the fill that produced this event"),
            F("ts_opened", "<i8", "", "ns"),
        ), doc, "event")
        for name, code, doc in (
            ("POSITION_OPENED", 80, "A position opened."),
            ("POSITION_CHANGED", 81, "A position's quantity changed."),
            ("POSITION_CLOSED", 82, "A position went flat."),
        )
    ),
    KindSpec("ACCOUNT_STATE", 90, (
        F("account_id", "<u4", "", "interned account id"),
        F("currency", "<u4", "currency", "one record per currency"),
        F("account_type", "u1", "enum:AccountType", ""),
        F("balance_total", "<i8", "money:currency", ""),
        F("balance_locked", "<i8", "money:currency", "held by open orders or margin"),
        F("balance_free", "<i8", "money:currency", "total - locked"),
        F("margin_init", "<i8", "money:currency", "initial margin in use"),
        F("margin_maint", "<i8", "money:currency", "maintenance margin in use"),
    ), "An account's balance in one currency.", "event"),
    # --- market status (codes 165-169) ---------------------------------------------------------
    KindSpec("INSTRUMENT_STATUS", 165, (
        _INSTRUMENT,
        F("action", "<u2", "enum:MarketStatus", "the venue's trading status from here on"),
        F("reason", "<u2", "", "the venue's reason code (Databento StatusReason); 0 none"),
        F("trading_event", "<u2", "", "the venue's trading event (Databento TradingEvent)"),
        F("is_trading", "u1", "", "1 yes, 0 no, 255 not stated"),
        F("is_quoting", "u1", "", "1 yes, 0 no, 255 not stated"),
        F("is_short_sell_restricted", "u1", "", "1 yes, 0 no, 255 not stated"),
    ), "An instrument's trading status at its venue changed (e.g. Databento's status schema).",
        "data"),
    # --- accounts (codes 120-139) --------------------------------------------------------------
    KindSpec("MARGIN_CALL", 120, (
        F("account_id", "<u4", "", "interned account id"),
        F("currency", "<u4", "currency", "the currency whose free balance is negative"),
        F("balance_total", "<i8", "money:currency", "after the fill that caused it"),
        F("margin_init", "<i8", "money:currency", "initial margin of open orders"),
        F("margin_maint", "<i8", "money:currency", "maintenance margin of positions"),
        F("balance_free", "<i8", "money:currency", "total - locked: negative"),
    ), "A margin account's free balance fell below zero (realized losses beyond margin).",
        "event"),
    KindSpec("FX_RATE", 121, (
        F("account_id", "<u4", "", "interned id of the account whose amounts it converts"),
        F("from_currency", "<u4", "currency", "converted from"),
        F("to_currency", "<u4", "currency", "converted to: the account's base currency"),
        F("rate", "<f8", "", "units of to_currency per unit of from_currency"),
        F("rate_source", "u1", "", "1 direct pair mid, 2 inverse pair (1 / mid), 3 via USD"),
        F("instrument_id", "<u4", "", "the quoted pair the rate comes from (first leg)"),
        F("via_instrument_id", "<u4", "", "the second leg's pair (source 3); 0 otherwise"),
        F("amount_from", "<i8", "money:from_currency", "amount moved out of from_currency; 0: "
          "the rate only"),
        F("amount_to", "<i8", "money:to_currency", "amount_from x rate, rounded half away from "
          "zero"),
    ), "An exchange rate an account used, and the amount it converted at it.", "event"),
    KindSpec("ACCOUNT_CONFIG", 122, (
        F("account_id", "<u4", "", "interned account id"),
        F("base_currency", "<u4", "", "packed currency the account reports and margins in; "
          "0 for none"),
        F("leverage", "<f8", "", "default leverage of a margin account (>= 1)"),
    ), "How an account converts and leverages: published with its starting balances.",
        "event"),
    # --- node (codes 150-159) -------------------------------------------------------------------
    KindSpec("NODE_STARTED", 150, (
        F("n_components", "<u4", "", "components started"),
    ), "The node's setup is complete and its components start: inputs before it (since "
       "RUN_STARTED) are setup, inputs after it are data.", "control"),
    # --- standby (codes 140-149) ---------------------------------------------------------------
    KindSpec("HEARTBEAT", 140, (
        F("interval_ns", "<i8", "", "the source's interval: the next heartbeat is due by then"),
        F("count", "<u8", "", "heartbeats of this source, this one included"),
        F("pid", "<u4", "", "process id of the node that wrote it (for messages only)"),
    ), "A live node is alive: pushed into its inbox every interval, so a standby that sees no "
       "new record for its timeout knows the primary is silent.", "control"),
    KindSpec("FAILOVER", 141, (
        F("last_seq_seen", "<u8", "", "last seq the standby folded before it took over"),
        F("crashed_run_id", "<u8", "", "the run of the lost primary"),
        F("old_writer_pid", "<u4", "", "pid of the lost primary (the writer lock's holder); 0 "
          "when unknown"),
        F("new_writer_pid", "<u4", "", "pid of the standby that took over"),
        F("reason", "u1", "enum:FailoverReason", "how the primary's loss was detected"),
        F("silent_ns", "<i8", "", "how long no new record had appeared when the loss was "
          "declared (monotonic clock of the standby)"),
    ), "A standby took the journal over from a lost primary; follows that run's RUN_RECOVERED.",
        "control"),
    # --- order extensions (codes 105-119) ------------------------------------------------------
    KindSpec("TRAILING_OFFSETS", 105, (
        *_ORDER_REF,
        F("trailing_offset_type", "u1", "enum:TrailingOffsetType", "unit of both offsets"),
        F("trigger_type", "u1", "enum:TriggerType", "the price the stop follows"),
        F("trailing_offset", "<i8", "", "distance of the trigger from that price (> 0)"),
        F("limit_offset", "<i8", "", "distance of a stop-limit's limit price; 0 for a "
          "stop-market"),
    ), "The trailing offsets of the TRAILING_STOP_* order just initialized (follows its "
       "ORDER_INITIALIZED in the same cascade).", "event"),
    KindSpec("ORDER_EMULATED", 106, (
        *_ORDER_REF,
        F("trigger_type", "u1", "enum:TriggerType", "the prices the kernel triggers it from"),
    ), "The order is held by the kernel's emulator (not sent) until its trigger; follows its "
       "ORDER_INITIALIZED (and TRAILING_OFFSETS).", "event"),
    KindSpec("ORDER_RELEASED", 107, (
        *_ORDER_REF,
        _PRICE_PRECISION,
        F("released_price", "<i8", "price:price_precision", "the quote / trade price that "
          "triggered it"),
    ), "The emulator triggered the order (cause: that quote / trade); a SUBMIT_ORDER follows "
       "and the venue runs it as a market (stop-market, market-if-touched) or limit order.",
        "event"),
    # --- FIX sessions (codes 180-199) -----------------------------------------------------------
    KindSpec("FIX_OUT", 180, (
        F("msg_seq_num", "<u4", "", "MsgSeqNum (34) of the message sent"),
        F("msg_type", "<u2", "", "MsgType (35): its 1-2 ASCII bytes, first byte low"),
        F("session_id", "<u4", "", "interned SenderCompID->TargetCompID of the session"),
        F("client_order_id", "<u8", "", "order the message is about; 0 for admin messages"),
        F("cl_ord_version", "<u2", "", "ClOrdID suffix: 0 for the first submission, n for re-submission n"),
        _INSTRUMENT,
        F("strategy_id", "<u4", "", "interned id of the strategy that owns the order"),
        F("side", "u1", "enum:OrderSide", ""),
        F("order_type", "u1", "enum:OrderType", "as sent (an emulated market goes out as LIMIT)"),
        F("time_in_force", "u1", "enum:TimeInForce", ""),
        _PRICE_PRECISION,
        _SIZE_PRECISION,
        F("quantity", "<i8", "qty:size_precision", "OrderQty (38)"),
        F("price", "<i8", "price?:price_precision", "Price (44); NULL for none"),
        F("ref_seq_num", "<u4", "", "BeginSeqNo / NewSeqNo / RefSeqNum / TestReqID, by type"),
        F("end_seq_num", "<u4", "", "EndSeqNo (16) of a ResendRequest; 0 otherwise"),
        F("replace_quantity", "<i8", "qty?:size_precision",
          "new quantity of the emulated modify this cancel starts; NULL otherwise"),
        F("replace_price", "<i8", "price?:price_precision",
          "new limit price of the emulated modify this cancel starts; NULL otherwise"),
    ), "A FIX message the session sent; the journal is the session's outbound store.", "event"),
    KindSpec("FIX_IN", 181, (
        F("msg_seq_num", "<u4", "", "MsgSeqNum (34) of the message received"),
        F("msg_type", "<u2", "", "MsgType (35): its 1-2 ASCII bytes, first byte low"),
        F("session_id", "<u4", "", "interned SenderCompID->TargetCompID of the session"),
        F("client_order_id", "<u8", "", "order the message is about; 0 for admin messages"),
        F("cl_ord_version", "<u2", "", "ClOrdID suffix of the order version reported"),
        F("exec_type", "u1", "", "ExecType (150) as its ASCII byte; 0 for none"),
        F("ord_status", "u1", "", "OrdStatus (39) as its ASCII byte; 0 for none"),
        F("poss_dup", "u1", "", "1 when PossDupFlag (43) was Y"),
        _PRICE_PRECISION,
        _SIZE_PRECISION,
        F("last_qty", "<i8", "qty:size_precision", "LastShares (32); 0 for none"),
        F("last_px", "<i8", "price?:price_precision", "LastPx (31); NULL for none"),
        F("cum_qty", "<i8", "qty:size_precision", "CumQty (14)"),
        F("leaves_qty", "<i8", "qty:size_precision", "LeavesQty (151)"),
        F("exec_id", "<u8", "", "ExecID (17) when numeric, else its xxh3-64; 0 for none"),
        F("reason_id", "<u4", "", "interned Text (58); 0 for none"),
        F("ref_seq_num", "<u4", "", "BeginSeqNo / NewSeqNo / RefSeqNum, by type"),
        F("end_seq_num", "<u4", "", "EndSeqNo (16) of a ResendRequest; 0 otherwise"),
    ), "A FIX message the session received, journaled before anything acts on it.", "event"),
    KindSpec("FIX_RECONCILED", 182, (
        *_ORDER_REF,
        F("session_id", "<u4", "", "interned SenderCompID->TargetCompID of the session"),
        F("connection", "<u4", "", "the session's connection count when the difference was found"),
        F("status_before", "u1", "", "index in adapters.fix.orders.STATUSES, journal's view"),
        F("status_after", "u1", "", "index in adapters.fix.orders.STATUSES, venue's view"),
        _SIZE_PRECISION,
        F("cum_qty_before", "<i8", "qty:size_precision", "filled quantity, journal's view"),
        F("cum_qty_after", "<i8", "qty:size_precision", "filled quantity, venue's view"),
    ), "An order the venue reported differently after a reconnect than the journal had it.",
        "event"),
)

LAYOUTS: dict[int, KindLayout] = build_layouts(KIND_TABLE)
SCHEMA_FINGERPRINT: int = fingerprint(LAYOUTS)

#: Kind codes by name: ``Kind.QUOTE == 20``.
Kind = IntEnum("Kind", {layout.spec.name: code for code, layout in LAYOUTS.items()})
Kind.__doc__ = "Message kind codes, derived from KIND_TABLE."

KIND_DTYPES = {code: layout.dtype for code, layout in LAYOUTS.items()}

__all__ = [
    "KIND_DTYPES",
    "KIND_TABLE",
    "LAYOUTS",
    "RECORD_DTYPE",
    "SCHEMA_FINGERPRINT",
    "Kind",
]
