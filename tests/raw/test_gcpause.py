"""The cyclic collector paused around parsed JSON (aggregator.raw.gcpause)."""

import gc

import pytest

from aggregator.raw import gcpause


@pytest.fixture(autouse=True)
def collector_restored():
    running = gc.isenabled()
    yield
    gc.enable() if running else gc.disable()


def test_the_collector_is_paused_in_the_block_and_resumed_after_it_even_when_it_raises():
    gc.enable()
    with gcpause.paused():
        assert not gc.isenabled()
        with gcpause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # a nested block leaves the outer one paused
    assert gc.isenabled()
    with pytest.raises(ValueError), gcpause.paused():
        raise ValueError
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with gcpause.paused():
        pass
    assert not gc.isenabled()
