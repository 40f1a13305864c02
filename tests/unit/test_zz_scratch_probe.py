from collections import Counter
import pytest
from hypothesis import settings, HealthCheck
from hypothesis.stateful import run_state_machine_as_test
from shop.application.ordering import handlers as oh
from . import test_order_invariants as m

SEEN: Counter = Counter()

class Probe(m.OrderingMachine):
    def expect(self, work, error):
        SEEN[error.__name__ if error else "ok"] += 1
        return super().expect(work, error)
    def check_invariants(self, *a, **k):
        SEEN["steps"] += 1
        return super().check_invariants(*a, **k)
    def teardown(self):
        for o in self.orders:
            SEEN[f"final:{o.status.value}/{o.payment.value}"] += 1
        SEEN["runs"] += 1
        super().teardown()

def test_probe(monkeypatch):
    monkeypatch.setattr(oh, "IDEMPOTENT_REPLAY_WAIT_SECONDS", 0.0)
    run_state_machine_as_test(Probe, settings=settings(max_examples=75, stateful_step_count=30,
        deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow], database=None))
    print(dict(SEEN))
