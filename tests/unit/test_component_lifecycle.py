"""The component lifecycle table, walked exhaustively."""

from __future__ import annotations

import itertools

import pytest

from engines.component import (
    TRANSITIONS,
    Component,
    ComponentState,
    ComponentTrigger,
    InvalidStateTransition,
    next_state,
)


@pytest.mark.parametrize(("state", "trigger"), list(itertools.product(ComponentState, ComponentTrigger)))
def test_every_state_trigger_pair_moves_by_the_table_or_raises(state, trigger) -> None:
    if (state, trigger) in TRANSITIONS:
        assert next_state(state, trigger) == TRANSITIONS[(state, trigger)]
    else:
        with pytest.raises(InvalidStateTransition, match=f"{trigger.name} is not allowed in state {state.name}"):
            next_state(state, trigger, "c")


def test_start_stop_resume_dispose_walk_through_transitional_states() -> None:
    seen = []

    class C(Component):
        def on_start(self) -> None:
            seen.append(self.state)

    c = C("c")
    c.initialize()
    c.start()
    assert seen == [ComponentState.STARTING] and c.state == ComponentState.RUNNING
    c.stop()
    c.resume()
    c.stop()
    c.dispose()
    assert c.state == ComponentState.DISPOSED
    with pytest.raises(InvalidStateTransition):
        c.start()


def test_a_hook_that_raises_leaves_the_component_faulted() -> None:
    class Bad(Component):
        def on_start(self) -> None:
            raise RuntimeError("boom")

    b = Bad("b")
    b.initialize()
    with pytest.raises(RuntimeError, match="boom"):
        b.start()
    assert b.state == ComponentState.FAULTED
