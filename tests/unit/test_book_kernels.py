"""The kernels' numba-visible constants agree with the schema, and the order-id map is exact."""

from __future__ import annotations

import numpy as np

from domain.enums import BookAction, BookLevel, RecordFlag
from domain.kinds import Kind
from engines.book import BookIssue
from engines.book import _layout as st
from engines.book import _orders as o


def test_kernel_codes_match_the_domain_enums_and_schema() -> None:
    assert st.KIND_BOOK_DELTA == Kind.BOOK_DELTA
    assert st.FLAG_LAST == RecordFlag.LAST
    assert tuple(BookAction) == (st.ACT_ADD, st.ACT_MODIFY, st.ACT_CANCEL, st.ACT_CLEAR, st.ACT_TRADE, st.ACT_FILL,
                                 st.ACT_NONE)
    assert (st.LEVEL_L2, st.LEVEL_L3) == (BookLevel.L2, BookLevel.L3)
    assert list(BookIssue) == [st.ISS_CANCEL_UNKNOWN, st.ISS_MODIFY_MISSING, st.ISS_CANCEL_EXCEEDS, st.ISS_DUP_ADD, st.ISS_BAD_SIDE,
            st.ISS_BAD_SIZE, st.ISS_BAD_ACTION, st.ISS_WRONG_LEVEL, st.ISS_CANCEL_UNKNOWN_LEVEL,
            st.ISS_FILL_UNKNOWN]


def test_order_id_map_matches_a_dict_through_inserts_and_deletes() -> None:
    rng = np.random.default_rng(7)
    hkeys, hvals = np.zeros(256, np.int64), np.full(256, -1, np.int64)
    model: dict[int, int] = {}
    # small key space: many collisions and backward-shift deletions
    for step in range(5000):
        key = int(rng.integers(-40, 90))
        if key in model:
            o.map_delete(hkeys, hvals, key)
            del model[key]
        elif len(model) < 120:
            o.map_insert(hkeys, hvals, key, step)
            model[key] = step
        for probe in range(-40, 90, 13):
            assert o.lookup(hkeys, hvals, probe) == model.get(probe, -1)
    assert sorted(int(v) for v in hvals if v != -1) == sorted(model.values())
