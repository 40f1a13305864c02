import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from shop.application.ordering import handlers as oh

from . import test_order_invariants as m


class Bad(m.OrderingMachine):
    @rule(customer=m.ORDER_REQUEST["customer"], lines=m.ORDER_REQUEST["lines"],
          key=m.ORDER_REQUEST["key"])
    def place_with_unknown_outcome(self, customer, lines, key):
        self.place_an_order(customer, lines, "tok_visa", "hang_after_capture+find_unreachable", key)


def test_known_bug_is_found(monkeypatch):
    monkeypatch.setattr(oh, "IDEMPOTENT_REPLAY_WAIT_SECONDS", 0.0)
    with pytest.raises(Exception) as e:
        run_state_machine_as_test(Bad, settings=settings(max_examples=75, stateful_step_count=30,
            deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow],
            database=None, phases=[Phase.generate]))
    for sub in getattr(e.value, "exceptions", [e.value]):
        import traceback; print("=====", "".join(traceback.format_exception(sub))[-1500:])
    print(type(e.value).__name__, str(e.value)[:300])
