"""What an account reports after a fill: base-currency conversions, its state, margin calls.

Design contract:
- a MARGIN account with a base currency keeps its balance in that currency: after each fill,
  what the fill moved in other currencies (its realized PnL in the settlement currency, its
  commission in its currency) is converted into it at the rate
  :func:`engines.fx_rates.find_rate` gives now, journaled as one FX_RATE record per currency
  (rate, source pair, amounts); the cache folds those records, so a replay needs no quote to
  know the rate. Only the fill's own amounts move (several fills of one batch are applied
  before their conversions are). Without a rate the amount stays in its currency (the report
  lists it per currency). Cash accounts hold each currency and convert nothing;
- one ACCOUNT_STATE per currency follows (the account as of the fill, before the conversion
  records are folded), then a MARGIN_CALL for a margin account whose free balance in its
  margin currency (base, or each currency without one) is negative once converted;
- records are emitted in ascending currency code: deterministic.
"""

from __future__ import annotations

from typing import Any

from domain.accounts import ACCOUNT_FIELD_NAMES
from domain.enums import AccountType
from domain.kinds import Kind
from engines.fx_rates import convert_raw, find_rate
from engines.record_emitter import RecordEmitter

_MARGIN = int(AccountType.MARGIN)


def fill_amounts(fill: Any, settlement_code: int, realized_raw: int) -> dict[int, int]:
    """Returns what a fill moved in a margin account, per packed currency: the gross PnL it
    realized in the settlement currency, less its commission in the commission's currency."""
    out = {settlement_code: realized_raw}
    if fill.commission:
        code = fill.commission_currency or settlement_code
        out[code] = out.get(code, 0) - fill.commission
    return out


def conversions(account: Any, cache: Any, amounts: dict[int, int]) -> list[tuple[Any, ...]]:
    """Returns the FX_RATE payloads that move ``amounts`` (per packed currency) of a margin
    account into its base currency (none for a cash account or one without a base)."""
    base = account.base_code
    if not base or account.account_type != _MARGIN:
        return []
    out = []
    for code in sorted(amounts):
        amount = amounts[code]
        if code == base or not amount:
            continue
        fx = find_rate(cache, code, base)
        if fx is None:
            continue
        out.append((account.account_id, code, base, fx.rate, fx.source, fx.instrument_id,
                    fx.via_instrument_id, amount, convert_raw(amount, code, base, fx.rate)))
    return out


def journal_rate(account: Any, inst: Any, fx: Any, ctx: Any, source_id: int) -> None:
    """Emits a rate-only FX_RATE for the instrument's settlement currency into the account's
    base currency when it differs from the last one journaled (the cache converts the order's
    and its position's margin at it)."""
    settle = inst.settlement_code
    if account.fx.get(settle) != fx.rate:
        _FX_RATE.emit(ctx, source_id, account.account_id, settle, account.base_code, fx.rate,
                      fx.source, fx.instrument_id, fx.via_instrument_id, 0, 0)


def emit_after_fill(account: Any, ctx: Any, source_id: int, fill: Any, position: Any) -> None:
    """Emits the conversions, the ACCOUNT_STATE rows and any MARGIN_CALL (module contract)."""
    converted: dict[int, int] = {}
    amounts = fill_amounts(fill, position.instrument.settlement_code, position.fill_realized_raw) \
        if account.base_code else {}
    for payload in conversions(account, ctx.cache, amounts):
        _FX_RATE.emit(ctx, source_id, *payload)
        converted[payload[2]] = converted.get(payload[2], 0) + payload[8]
        converted[payload[1]] = converted.get(payload[1], 0) - payload[7]
    rows = account.field_rows()  # emitting changes no account: the rows hold for the check
    for row in rows:
        _ACCOUNT_STATE.emit(ctx, source_id, *row)
    if account.account_type != _MARGIN:
        return
    for row in rows:
        moved = converted.get(row[1], 0)
        free = row[5] + moved
        if free < 0:  # realized losses beyond margin
            _MARGIN_CALL.emit(ctx, source_id, row[0], row[1], row[3] + moved, row[6], row[7],
                              free)


_ACCOUNT_STATE = RecordEmitter(Kind.ACCOUNT_STATE, ACCOUNT_FIELD_NAMES)
_MARGIN_CALL = RecordEmitter(Kind.MARGIN_CALL, (
    "account_id", "currency", "balance_total", "margin_init", "margin_maint", "balance_free"))
_FX_RATE = RecordEmitter(Kind.FX_RATE, (
    "account_id", "from_currency", "to_currency", "rate", "rate_source", "instrument_id",
    "via_instrument_id", "amount_from", "amount_to"))
