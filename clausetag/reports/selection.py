"""What a report's page shows of a large batch: the items that most need a reviewer's eye."""

from __future__ import annotations

import heapq


class Worst:
    """The `limit` items with the highest priority offered, given back in the order they were offered."""

    def __init__(self, limit: int):
        self.limit, self.heap, self.offered = limit, [], 0

    def offer(self, priority: tuple, item) -> None:
        entry = (priority, -self.offered, item)  # of equal priority, the earlier one is kept
        self.offered += 1
        if len(self.heap) < self.limit:
            heapq.heappush(self.heap, entry)
        elif self.limit and entry[:2] > self.heap[0][:2]:
            heapq.heapreplace(self.heap, entry)

    def in_order(self) -> list:
        return [item for _, _, item in sorted(self.heap, key=lambda e: -e[1])]
