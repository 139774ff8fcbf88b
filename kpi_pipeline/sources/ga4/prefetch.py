"""Read ahead: produce the next page in a background thread while the caller loads this one.

DuckDB releases the GIL while it inserts, so fetching and converting page *n+1* overlaps with
inserting page *n*. At most ``depth`` finished pages wait in the queue (plus the one being
built), so memory stays bounded. Errors (a used-up quota on page 7) are raised in the caller
at the point they occurred; if the caller stops early, the thread stops after its current page.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def prefetch(items: Iterable[T], depth: int = 1) -> Iterator[T]:
    """Yield ``items`` in order, producing up to ``depth`` ahead in a daemon thread."""
    ready: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            offer(_Failure(exc))
            return
        offer(_DONE)

    thread = threading.Thread(target=produce, name="ga4-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                break
            if isinstance(item, _Failure):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join(timeout=60)


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
