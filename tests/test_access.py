from __future__ import annotations

import pytest

from qa.access import FREE_FAILURES, AccessDenied, AdminGate, is_loopback


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("192.168.1.5")
    assert not is_loopback(None)


def test_without_password_only_loopback_may_change() -> None:
    AdminGate(None, lambda: "127.0.0.1").check(None, "127.0.0.1")
    with pytest.raises(AccessDenied, match="QA_ADMIN_PASSWORD"):
        AdminGate(None, lambda: "0.0.0.0").check(None, "127.0.0.1")
    with pytest.raises(AccessDenied):
        AdminGate(None, lambda: "127.0.0.1").check(None, "10.0.0.2")


def test_password_required_and_wrong_ones_locked_out() -> None:
    clock = Clock()
    gate = AdminGate("s3cret", lambda: "0.0.0.0", clock)
    gate.check("s3cret", "10.0.0.2")
    for _ in range(FREE_FAILURES):
        with pytest.raises(AccessDenied, match="wrong admin password"):
            gate.check("guess", "10.0.0.2")
    with pytest.raises(AccessDenied, match="too many wrong passwords"):
        gate.check("s3cret", "10.0.0.2")
    waits = []
    for _ in range(15):
        clock.now += 1000
        with pytest.raises(AccessDenied):
            gate.check("guess", "10.0.0.2")
        waits.append(gate._locked_until - clock.now)
    assert waits == sorted(waits)
    assert waits[-1] == 300.0
    clock.now += 1000
    gate.check("s3cret", "10.0.0.2")
