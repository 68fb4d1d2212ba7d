"""A small LRU for the server's worker threads: feed bodies
(:mod:`roadmap.web.feeds`) and dashboards (:mod:`roadmap.web.pages`), both
keyed on the database's change marker, so an entry is never stale — only
unused, and then evicted."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Lru(Generic[K, V]):
    """At most ``size`` values by key. :meth:`get_or_make` builds a missing
    value outside the lock (two threads may build the same one: the last
    stored wins, and both are equal)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = Lock()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            value = self.settle(key, value)
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def settle(self, key: K, value: V) -> V:
        """A hook run under the lock before ``value`` is stored."""
        return value


__all__ = ["Lru"]
