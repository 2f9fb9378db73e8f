"""Reaction changes that name their kinds: ``ctx.reaction_kinds_since`` and the fused consumer,
which then re-routes only those kinds (the exchange names its market data kinds)."""

from __future__ import annotations

from typing import Any

from domain.codec import encode
from domain.kinds import Kind
from engines.component import Reactor
from engines.kernel import Kernel

QUOTE, TRADE = int(Kind.QUOTE), int(Kind.TRADE)


def test_reaction_kinds_since_unions_named_kinds_and_falls_back_to_any() -> None:
    ctx = Kernel().ctx
    v0 = ctx.reaction_version
    assert ctx.reaction_kinds_since(v0) == frozenset()
    ctx.reactions_changed(frozenset({QUOTE}))
    ctx.reactions_changed(frozenset({TRADE}))
    assert ctx.reaction_kinds_since(v0) == {QUOTE, TRADE}
    assert ctx.reaction_kinds_since(v0 + 1) == {TRADE}
    ctx.reactions_changed()  # unnamed: any kind
    assert ctx.reaction_kinds_since(v0) is None
    assert ctx.reaction_kinds_since(ctx.reaction_version) == frozenset()
    v1 = ctx.reaction_version
    for _ in range(200):  # more changes than remembered: any kind
        ctx.reactions_changed(frozenset({QUOTE}))
    assert ctx.reaction_kinds_since(v1) is None
    assert ctx.reaction_kinds_since(ctx.reaction_version - 3) == {QUOTE}
    assert ctx.reaction_kinds_since(ctx.reaction_version + 1) is None


def test_reaction_changes_since_lists_kinds_and_sources() -> None:
    ctx = Kernel().ctx
    v0 = ctx.reaction_version
    source = object()
    ctx.reactions_changed(frozenset({QUOTE}), source)
    ctx.reactions_changed(frozenset({TRADE}))
    assert ctx.reaction_changes_since(v0) == [(frozenset({QUOTE}), source),
                                              (frozenset({TRADE}), None)]
    assert ctx.reaction_changes_since(v0 + 1) == [(frozenset({TRADE}), None)]
    assert ctx.reaction_changes_since(ctx.reaction_version) == []
    ctx.reactions_changed(None, source)  # no kinds named: any kind
    assert ctx.reaction_changes_since(v0) is None
    assert ctx.reaction_kinds_since(v0) is None


class Toggle(Reactor):
    """Reacts to QUOTE and TRADE of instrument 7 while ``on``; its flips name its kinds only
    when ``named``, and itself as their source too when ``named == "source"``."""

    handles = (QUOTE, TRADE)

    def __init__(self, cid: str, named: bool | str) -> None:
        super().__init__(cid)
        self.on, self.named, self.seen = False, named, []
        self.asked = 0

    def reacts_to(self, kind: int, instrument_id: int) -> bool:
        self.asked += 1
        return self.on and instrument_id == 7

    def react(self, rec: Any, ctx: Any) -> None:
        self.seen.append((rec.kind, rec.seq))

    def flip(self, ctx: Any) -> None:
        self.on = not self.on
        ctx.reactions_changed(frozenset(self.handles) if self.named else None,
                              self if self.named == "source" else None)


def _publish(kernel: Kernel, kind: int) -> int:
    rec = encode(kind, instrument_id=7, ts_init=kernel.ctx.now_ns + 1)
    return kernel.publish_one(rec[0])


def test_named_flips_reroute_their_kinds_and_keep_the_others() -> None:
    for named in (False, True, "source"):
        kernel = Kernel(capacity=1 << 8)
        toggle = kernel.register(Toggle("toggle", named))
        other = kernel.register(Toggle("other", named))
        kernel.start()
        other.flip(kernel.ctx)  # "other" receives from now on
        seen = []
        for step in range(6):
            if step % 2:
                toggle.flip(kernel.ctx)
            for kind in (QUOTE, TRADE):
                seen.append((kind, _publish(kernel, kind)))
        # toggle: off, on (steps 1-2), off (3-4), on (5): the answers after each flip
        want = [s for i, s in enumerate(seen) if (i // 2) in (1, 2, 5)]
        assert toggle.seen == want, named
        assert other.seen == seen, named
        routes = kernel.consumer._routes
        assert routes[QUOTE << 32 | 7][1] == (toggle.react, other.react)


class Steady(Reactor):
    handles = (int(Kind.BAR),)

    def react(self, rec: Any, ctx: Any) -> None:
        pass


def test_a_named_flip_keeps_the_routes_of_other_kinds() -> None:
    for named, kept in ((True, True), (False, False)):
        kernel = Kernel(capacity=1 << 8)
        toggle = kernel.register(Toggle("toggle", named))
        kernel.register(Steady("steady"))
        kernel.start()
        _publish(kernel, int(Kind.BAR))
        _publish(kernel, QUOTE)
        bar_route = kernel.consumer._routes[int(Kind.BAR) << 32 | 7]
        toggle.flip(kernel.ctx)
        _publish(kernel, QUOTE)
        routes = kernel.consumer._routes
        assert (routes.get(int(Kind.BAR) << 32 | 7) is bar_route) is kept
        assert routes[QUOTE << 32 | 7][1] == (toggle.react,)


class ByInstrument(Reactor):
    """Reacts to records of instrument 7 only, for kinds whose ``instrument_id`` sits at each
    of the offsets the fused consumer reads it from (40, 48, 68), and to one kind without one."""

    handles = (QUOTE, int(Kind.ORDER_ACCEPTED), int(Kind.FX_RATE), int(Kind.REASON_ARGS))

    def __init__(self) -> None:
        super().__init__("by-instrument")
        self.asked: list[tuple[int, int]] = []
        self.seen: list[tuple[int, int]] = []

    def reacts_to(self, kind: int, instrument_id: int) -> bool:
        self.asked.append((kind, instrument_id))
        return instrument_id in (0, 7)

    def react(self, rec: Any, ctx: Any) -> None:
        self.seen.append((rec.kind, rec.seq))


def test_records_are_routed_by_their_own_instrument_wherever_the_kind_keeps_it() -> None:
    from engines.routing import INSTRUMENT_OFFSETS

    kinds = ByInstrument.handles
    assert [INSTRUMENT_OFFSETS.get(k) for k in kinds] == [40, 48, 68, None]
    kernel = Kernel(capacity=1 << 8)
    comp = kernel.register(ByInstrument())
    kernel.start()
    want = []
    for kind in kinds:
        for iid in (7, 8):
            fields = {} if kind == Kind.REASON_ARGS else {"instrument_id": iid}
            # the other u4 words the consumer reads at 40 / 48 hold other values
            fields.update({"client_order_id": 3 << 32 | 9} if kind == Kind.REASON_ARGS else {})
            seq = kernel.publish_one(encode(kind, ts_init=kernel.ctx.now_ns + 1, **fields)[0])
            if kind == Kind.REASON_ARGS or iid == 7:
                want.append((kind, seq))
    assert comp.seen == want
    assert sorted(set(comp.asked)) == sorted(
        [(k, i) for k in kinds[:3] for i in (7, 8)] + [(int(Kind.REASON_ARGS), 0)])


def test_a_flip_naming_its_component_re_asks_only_that_component() -> None:
    kernel = Kernel(capacity=1 << 8)
    toggle = kernel.register(Toggle("toggle", "source"))
    other = kernel.register(Toggle("other", "source"))
    kernel.start()
    other.flip(kernel.ctx)
    for kind in (QUOTE, TRADE):
        _publish(kernel, kind)
    routes = kernel.consumer._routes
    quote_route = routes[QUOTE << 32 | 7]
    other_asked = other.asked
    for step in range(4):
        toggle_asked = toggle.asked
        toggle.flip(kernel.ctx)
        seqs = [_publish(kernel, kind) for kind in (QUOTE, TRADE)]
        # one question per cached route of the named kinds, to the flipped component only
        assert toggle.asked - toggle_asked == 2
        assert other.asked == other_asked
        on = step % 2 == 0
        assert routes[QUOTE << 32 | 7][1] == ((toggle.react, other.react) if on
                                             else (other.react,))
        assert [s for _, s in toggle.seen[-2:]] == seqs if on else toggle.seen[-1][1] < seqs[0]
    assert routes[QUOTE << 32 | 7] == quote_route  # off again: the same reactors
    # an unnamed change after a sourced one: every component is asked again
    toggle.flip(kernel.ctx)
    kernel.ctx.reactions_changed()
    _publish(kernel, QUOTE)
    assert other.asked == other_asked + 1
    assert routes[QUOTE << 32 | 7][1] == (toggle.react, other.react)
