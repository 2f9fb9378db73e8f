"""Risk denial reasons are templates with numbers (issue 19, bounded memory): a denial interns
its template once, its numbers travel in a REASON_ARGS record just before it, and the text a
reader renders (harness, cache, report) is the text the check always gave."""

from __future__ import annotations

import numpy as np

from domain.kinds import Kind
from engines.reasons import MAX_ARGS, Num, Refusal, order_reason, reason_text, render
from engines.risk_checks import RiskConfig
from engines.strategies.ema_cross import EmaCross
from tests.unit.kernel_rig import SYMBOL, build, feed, quotes
from tests.unit.test_risk_harness import Harness

LIMIT = RiskConfig(max_order_qty={"EUR/USD.SIM": "10"})


def test_ten_thousand_denials_intern_a_bounded_number_of_strings():
    h = Harness(LIMIT)
    h.quote("1.10000", "1.10010")
    h.submit(h.order(qty=11, price="1.10000"))  # the template is interned by the first one
    before = len(h.strings)
    texts = set()
    for qty in range(12, 10_012):
        coid = h.order(qty=qty, price="1.10000")
        out = h.submit(coid)
        assert [Kind(r.kind).name for r in out] == ["REASON_ARGS", "ORDER_DENIED"]
        texts.add(reason_text(h.strings, out[-1], out[0]))
        h.emitted.clear()  # the harness's log, not what is under test
    assert len(h.strings) - before <= 2  # the harness's own strings only, no reason text
    assert len(texts) == 10_000  # every denial still says its own quantity
    assert f"max order quantity: quantity {10_011} exceeds 10 for EUR/USD.SIM" in texts


def test_the_cache_keeps_the_numbers_and_renders_the_same_text():
    h = Harness(LIMIT)
    h.quote("1.10000", "1.10010")
    coid = h.order(qty=25, price="1.10000")
    args, denied = h.submit(coid)
    order = h.cache.order(coid)
    assert order.reason_id == denied.reason_id == args.reason_id
    assert h.strings.text(denied.reason_id) == (
        "max order quantity: quantity {0} exceeds 10 for EUR/USD.SIM")
    expected = "max order quantity: quantity 25 exceeds 10 for EUR/USD.SIM"
    assert order_reason(order, h.strings.text) == expected
    assert reason_text(h.strings, denied, args) == expected


def test_a_refusal_renders_fields_numbers_and_plain_text():
    r = Refusal.of("order list ", Num(7), ": quantity ", Num(-1500, 3), " of {x}")
    assert not r.shared  # fixed text that reads as a placeholder: interned as its text
    assert r.text() == "order list 7: quantity -1.500 of {x}"
    ok = Refusal.of("a ", Num(5, 2), " b")
    assert ok.shared and ok.template() == "a {0} b" and ok.text() == "a 0.05 b"
    assert render(ok.template(), None, ((5, 2),)) == "a 0.05 b"
    assert render("plain {0} {name}") == "plain {0} {name}"  # nothing to fill: as written
    many = Refusal.of(*[Num(i) for i in range(MAX_ARGS + 1)])
    assert not many.shared


class DeniedTexts(EmaCross):
    """EMA cross whose orders all exceed the risk limit; keeps each denial's rendered text."""

    def __init__(self) -> None:
        super().__init__(SYMBOL, fast=3, slow=6, trade_size=1000)
        self.texts: list[str] = []

    def on_order_denied(self, rec) -> None:
        self.texts.append(self.reason_of(rec))


def test_a_strategy_reads_the_rendered_reason_of_its_denial():
    strategy = DeniedTexts()
    kernel = build([strategy], risk=RiskConfig(max_order_qty={SYMBOL: "10"}))
    feed(kernel, quotes(kernel, 110_000 + np.cumsum(np.random.default_rng(3).integers(-3, 4,
                                                                                     400))))
    assert len(strategy.texts) > 3
    assert set(strategy.texts) == {f"max order quantity: quantity 1000 exceeds 10 for {SYMBOL}"}


def test_args_of_a_decoded_record_reads_its_numbers_by_position():
    """The cache's decoded REASON_ARGS (fields read by position) gives the pairs its attributes
    name, in order: number i is (a{i}, p{i})."""
    from types import SimpleNamespace

    from domain.codec import encode
    from engines.reasons import args_of
    from engines.stage import DECODERS

    fields = {f"a{i}": (i + 1) * 1_000 - i for i in range(MAX_ARGS)}
    fields.update({f"p{i}": i % 5 for i in range(MAX_ARGS)})
    data = encode(Kind.REASON_ARGS, client_order_id=7, reason_id=3, **fields).tobytes()
    make, unpack = DECODERS[int(Kind.REASON_ARGS)]
    rec = make(unpack(data, 0))
    expected = tuple((fields[f"a{i}"], fields[f"p{i}"]) for i in range(MAX_ARGS))
    assert args_of(rec) == expected
    assert args_of(SimpleNamespace(**rec._asdict())) == expected


def test_args_of_records_in_turn_gives_each_its_own_numbers():
    """args_of keeps the pairs of the last numbers it saw: records alike, then different ones
    (a number or only a precision changed), then the first again, each give their own pairs."""
    from domain.codec import encode
    from engines.reasons import args_of
    from engines.stage import DECODERS

    make, unpack = DECODERS[int(Kind.REASON_ARGS)]

    def decoded(numbers: dict[str, int]) -> tuple:
        rec = make(unpack(encode(Kind.REASON_ARGS, client_order_id=7, reason_id=3,
                                 **numbers).tobytes(), 0))
        return rec, tuple((numbers.get(f"a{i}", 0), numbers.get(f"p{i}", 0))
                          for i in range(MAX_ARGS))

    first = decoded({"a0": 10, "p0": 0, "a1": 5, "p1": 2})
    cases = [first, first, decoded({"a0": 10, "p0": 0, "a1": 6, "p1": 2}),
             decoded({"a0": 10, "p0": 1, "a1": 6, "p1": 2}), first, decoded({})]
    assert [args_of(rec) for rec, _ in cases] == [pairs for _, pairs in cases]


def test_split_is_template_numbers_and_shared_in_one_pass():
    cases = [
        Refusal.of("order list ", Num(7), ": order ", Num(12), ": quantity ", Num(1234, 2),
                   " above max ", Num(1000, 2)),
        Refusal.of("no numbers at all"),
        Refusal.of("text with {a_placeholder} in it: ", Num(3)),
        Refusal.of("braces { but } no placeholder ", Num(3)),
        Refusal.of(*(Num(i) for i in range(MAX_ARGS + 1))),
    ]
    for r in cases:
        assert r.split() == (r.template(), r.numbers, r.shared), r
