"""Many threads at the same moment, counting what each one got: the shape of every
concurrency test (oversell, overbooking, double redemption)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable


def all_at_once(n: int, work: Callable[[int], str], *, timeout: float = 300) -> Counter:
    """Run ``work(i)`` for i in range(n), each in its own thread, released together by a
    barrier; ``work`` returns an outcome label. A thread still running after ``timeout``
    fails the test (a deadlock, most likely)."""
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def main(i: int) -> None:
        barrier.wait()
        outcome = work(i)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=main, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return Counter(outcomes)
