"""Starting calls at the same instant in threads, each with its own database connection."""

import threading
from functools import partial


def run_together(*calls) -> list:
    """Run every call in its own thread, released together; return each one's result or exception."""
    results: list = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def body(index: int, call) -> None:
        from django.db import connections

        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as error:  # reported to the test, not lost in the thread
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=body, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def run_in_threads(target, count: int) -> list[BaseException]:
    """Run ``target(index)`` in ``count`` threads started together; return what they raised."""
    return [result for result in run_together(*(partial(target, index) for index in range(count)))
            if isinstance(result, BaseException)]
