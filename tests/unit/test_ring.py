"""Ring: construction rules, claim/publish, wrap-around, gating and its errors."""

from __future__ import annotations

import numpy as np
import pytest

from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
from ringbus import Ring, RingConfigError, RingFullError, RingRangeError, Sequence


def records(n: int, start: int = 0) -> np.ndarray:
    """n records whose ts_event is start, start+1, ... (seq left 0)."""
    r = np.zeros(n, dtype=RECORD_DTYPE)
    r["ts_event"] = np.arange(start, start + n)
    r["kind"] = Kind.QUOTE
    return r


def joined(ring: Ring, lo: int, hi: int) -> np.ndarray:
    """The records lo..hi as one array (views may be split at the ring end)."""
    return np.concatenate(ring.views(lo, hi))


@pytest.mark.parametrize("capacity", [1000, 0, -4, 3, 6])
def test_capacity_that_is_not_a_power_of_two_is_refused_with_the_rule(capacity: int) -> None:
    with pytest.raises(RingConfigError, match=f"capacity must be a power of two, got {capacity}"):
        Ring(capacity)


def test_first_seq_below_one_is_refused() -> None:
    with pytest.raises(RingConfigError, match="first_seq must be an int >= 1, got 0"):
        Ring(8, first_seq=0)


def test_unstructured_dtype_is_refused() -> None:
    with pytest.raises(RingConfigError, match="structured dtype"):
        Ring(8, dtype=np.int64)


def test_a_new_ring_is_empty_with_cursor_before_first_seq() -> None:
    ring = Ring(8, first_seq=100)
    assert ring.cursor == 99
    assert ring.capacity == 8
    assert ring.buffer.shape == (8,)
    assert ring.buffer.dtype == RECORD_DTYPE


def test_publish_records_stamps_contiguous_seqs_from_first_seq() -> None:
    ring = Ring(8, first_seq=100)
    assert ring.publish_records(records(3)) == (100, 102)
    assert ring.publish_records(records(2, 3)) == (103, 104)
    view = joined(ring, 100, 104)
    assert view["seq"].tolist() == [100, 101, 102, 103, 104]
    assert view["ts_event"].tolist() == [0, 1, 2, 3, 4]
    assert ring.cursor == 104


def test_publish_records_copies_kind_specific_views_byte_for_byte() -> None:
    quotes = np.zeros(2, dtype=KIND_DTYPES[Kind.QUOTE])
    quotes["bid"] = [101, 102]
    quotes["ask"] = [103, 104]
    quotes["instrument_id"] = 7
    ring = Ring(4)
    ring.publish_records(quotes)
    (view,) = ring.views(1, 2)
    as_quotes = view.view(KIND_DTYPES[Kind.QUOTE])
    assert as_quotes["bid"].tolist() == [101, 102]
    assert as_quotes["ask"].tolist() == [103, 104]
    assert as_quotes["instrument_id"].tolist() == [7, 7]
    assert quotes["seq"].tolist() == [0, 0], "the caller's array is not modified"


def test_publish_records_accepts_a_strided_array() -> None:
    ring = Ring(8)
    ring.publish_records(records(6)[::2])
    (view,) = ring.views(1, 3)
    assert view["ts_event"].tolist() == [0, 2, 4]


def test_records_of_another_width_are_refused_naming_the_itemsize() -> None:
    ring = Ring(8)
    with pytest.raises(RingConfigError, match="itemsize must be 128 bytes, got 8"):
        ring.publish_records(np.zeros(2, dtype=[("a", "<i8")]))
    with pytest.raises(RingConfigError, match="1-d"):
        ring.publish_records(np.zeros((2, 2), dtype=RECORD_DTYPE))
    assert ring.cursor == 0


def test_publish_records_wraps_around_the_ring_end_and_views_split_in_two() -> None:
    ring = Ring(8)
    ring.publish_records(records(6))
    ring.publish_records(records(5, 6))
    parts = ring.views(4, 11)
    assert [len(p) for p in parts] == [4, 4], "seq 8 lands in slot 0 (slot = seq & mask)"
    assert np.concatenate([p["seq"] for p in parts]).tolist() == list(range(4, 12))
    assert np.concatenate([p["ts_event"] for p in parts]).tolist() == list(range(3, 11))


def test_claim_slots_publish_makes_written_records_visible() -> None:
    ring = Ring(4)
    first = ring.claim(3)
    assert first == 1
    assert ring.cursor == 0, "claimed but unpublished records are not visible"
    (slots,) = ring.slots(first, 3)
    slots["seq"] = [1, 2, 3]
    slots["ts_event"] = [10, 20, 30]
    ring.publish(3)
    (view,) = ring.views(1, 3)
    assert view["ts_event"].tolist() == [10, 20, 30]


def test_slots_of_a_wrapping_claim_are_two_views() -> None:
    ring = Ring(4)
    ring.publish_records(records(2))
    first = ring.claim(3)
    parts = ring.slots(first, 3)
    assert [len(p) for p in parts] == [1, 2]


def test_slots_outside_the_claimed_range_are_refused() -> None:
    ring = Ring(4)
    ring.claim(2)
    with pytest.raises(RingRangeError, match="claimed and unpublished"):
        ring.slots(1, 3)


def test_publish_outside_the_claimed_range_is_refused() -> None:
    ring = Ring(4)
    ring.claim(2)
    with pytest.raises(RingRangeError, match=r"publish\(3\): last_seq must be in 1..2"):
        ring.publish(3)
    ring.publish(2)
    with pytest.raises(RingRangeError, match=r"publish\(2\)"):
        ring.publish(2)


def test_bulk_publish_while_a_claim_is_pending_is_refused() -> None:
    ring = Ring(4)
    ring.claim(1)
    with pytest.raises(RingRangeError, match="claimed but not published"):
        ring.publish_records(records(1))
    with pytest.raises(RingRangeError, match="claimed but not published"):
        ring.publish_record(records(1))


@pytest.mark.parametrize("n", [0, -1, 9])
def test_claim_size_outside_one_to_capacity_is_refused(n: int) -> None:
    with pytest.raises(RingConfigError, match=f"claim size n must be in 1..capacity=8, got {n}"):
        Ring(8).claim(n)


def test_claim_that_would_overwrite_an_unfinished_slot_raises_and_changes_nothing() -> None:
    ring = Ring(4)
    journal = Sequence(1, "journal")
    ring.add_gating_sequences(journal)
    ring.publish_records(records(4))
    with pytest.raises(RingFullError) as err:
        ring.publish_records(records(1, 4))
    message = str(err.value)
    assert "capacity=4" in message
    assert "n=1" in message
    assert "'journal'" in message
    assert "at seq 0" in message
    assert ring.cursor == 4
    assert joined(ring, 1, 4)["ts_event"].tolist() == [0, 1, 2, 3], "nothing was overwritten"
    journal.value = 2
    assert ring.remaining_capacity() == 2
    assert ring.publish_records(records(2, 4)) == (5, 6)


def test_the_slowest_gating_sequence_is_named() -> None:
    ring = Ring(2)
    fast, slow = Sequence(1, "fast"), Sequence(1, "slow")
    ring.add_gating_sequences(fast, slow)
    ring.publish_records(records(2))
    fast.value = 2
    with pytest.raises(RingFullError, match="'slow'"):
        ring.claim(1)


def test_a_ring_without_gating_sequences_reuses_slots_freely() -> None:
    ring = Ring(2)
    for i in range(5):
        ring.publish_records(records(1, i))
    assert ring.cursor == 5
    assert ring.views(4, 5)[0]["ts_event"].tolist() == [3, 4]


def test_views_refuse_unpublished_and_overwritten_ranges() -> None:
    ring = Ring(4)
    ring.publish_records(records(3))
    ring.publish_records(records(3))
    with pytest.raises(RingRangeError, match=r"readable seqs are 3..6"):
        ring.views(2, 4)
    with pytest.raises(RingRangeError, match=r"readable seqs are 3..6"):
        ring.views(5, 7)
    with pytest.raises(RingRangeError):
        ring.views(5, 4)


def test_publish_record_takes_a_numpy_record_or_a_one_element_array() -> None:
    ring = Ring(4)
    src = records(3)
    assert ring.publish_record(src[0]) == 1
    assert ring.publish_record(src[1:2]) == 2
    quote = np.zeros(1, dtype=KIND_DTYPES[Kind.QUOTE])
    quote["bid"] = 55
    assert ring.publish_record(quote) == 3
    (view,) = ring.views(1, 3)
    assert view["seq"].tolist() == [1, 2, 3]
    assert view["ts_event"].tolist() == [0, 1, 0]
    assert view.view(KIND_DTYPES[Kind.QUOTE])["bid"][2] == 55


def test_publish_record_refuses_more_than_one_record() -> None:
    ring = Ring(4)
    with pytest.raises(RingConfigError, match="one record of 128 bytes, got 256 bytes"):
        ring.publish_record(records(2))
    assert ring.cursor == 0


def test_publish_record_respects_gating() -> None:
    ring = Ring(2)
    ring.add_gating_sequences(Sequence(1, "strategy"))
    ring.publish_record(records(1)[0])
    ring.publish_record(records(1)[0])
    with pytest.raises(RingFullError, match="'strategy'"):
        ring.publish_record(records(1)[0])
    assert ring.cursor == 2


def test_a_ring_of_a_dtype_without_seq_field_works_without_stamping() -> None:
    dt = np.dtype([("a", "<i8"), ("b", "<i8")])
    ring = Ring(4, dtype=dt)
    src = np.array([(1, 2), (3, 4)], dtype=dt)
    assert ring.publish_records(src) == (1, 2)
    (view,) = ring.views(1, 2)
    assert view["a"].tolist() == [1, 3]


def test_adding_a_non_sequence_as_gating_is_refused() -> None:
    with pytest.raises(RingConfigError, match="gating sequences must be Sequence"):
        Ring(4).add_gating_sequences(3)  # type: ignore[arg-type]


def test_a_fresh_sequence_holds_first_seq_minus_one() -> None:
    assert Sequence().value == 0
    assert Sequence(100, "journal").value == 99
    assert "journal" in repr(Sequence(1, "journal"))


def test_publish_bytes_stamps_the_seq_and_matches_publish_record() -> None:
    src = records(6, start=10)
    by_bytes, by_record = Ring(4), Ring(4)
    mem = memoryview(src.view(np.uint8))
    for i in range(6):  # wraps the 4-slot ring
        assert by_bytes.publish_bytes(mem[i * 128 : (i + 1) * 128]) == i + 1
        assert by_record.publish_record(src[i]) == i + 1
    assert joined(by_bytes, 3, 6).tobytes() == joined(by_record, 3, 6).tobytes()
    assert joined(by_bytes, 3, 6)["seq"].tolist() == [3, 4, 5, 6]


def test_publish_bytes_refuses_a_wrong_size_a_pending_claim_and_a_full_ring() -> None:
    ring = Ring(2)
    with pytest.raises(RingConfigError, match="a record is 128 bytes, got 64"):
        ring.publish_bytes(bytes(64))
    ring.add_gating_sequences(Sequence(1, "strategy"))
    ring.publish_bytes(bytes(128))
    ring.claim(1)
    with pytest.raises(RingRangeError, match="publish_bytes"):
        ring.publish_bytes(bytes(128))
    ring.publish(2)
    with pytest.raises(RingFullError, match="'strategy'"):
        ring.publish_bytes(bytes(128))
    assert ring.cursor == 2


def test_publish_bytes_on_a_dtype_with_another_seq_type_stamps_through_numpy() -> None:
    dt = np.dtype([("seq", "<i8"), ("b", "<i8")])
    ring = Ring(4, dtype=dt)
    assert ring.publish_bytes(np.array([(0, 7)], dtype=dt).tobytes()) == 1
    (view,) = ring.views(1, 1)
    assert view.tolist() == [(1, 7)]
