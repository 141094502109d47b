"""The fine-tuning step plan: linear warm-up and decay over a number of steps that a time budget may
shorten as the pace becomes known."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

PACE_FROM = 10  # steps before this one (start-up, first batches) do not count towards the pace
PACE_FIRST = 40  # the plan is first fitted to the budget here, then after every step


class StepPlan:
    """`total` steps (from epochs or max_steps), warm-up over the first `warmup_ratio` of them, then a
    linear decay to zero at `total`. With a time budget the plan is re-fitted after every step from
    PACE_FIRST on to what the mean pace since step PACE_FROM allows (never more than first planned),
    so the learning rate has decayed when the budget ends even where the selection evaluations, a
    shared machine or longer batches slow training down after the first steps. The first re-fit also
    shortens the warm-up to `warmup_ratio` of the fitted plan (not before step PACE_FIRST), so a
    budget that allows a fifth of the planned steps does not spend a third of them warming up."""

    def __init__(self, total: int, warmup_ratio: float, budget_s: float, margin: float = 0.97):
        self.planned = self.total = max(1, total)
        self.warmup_ratio = warmup_ratio
        self.warmup = max(1, int(self.total * warmup_ratio))
        self.budget_s, self.margin = budget_s, margin
        self._paced_from: float | None = None

    def lr_factor(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / self.warmup
        return max(0.0, (self.total - step) / max(1, self.total - self.warmup))

    def observe(self, step: int, elapsed: float) -> None:
        """After `step` steps, `elapsed` seconds into training: re-fit the plan to the budget when due."""
        if step == PACE_FROM:
            self._paced_from = elapsed
        if self.budget_s <= 0 or self._paced_from is None or step < PACE_FIRST:
            return
        per_step = (elapsed - self._paced_from) / (step - PACE_FROM)
        affordable = step + int(max(0.0, self.budget_s - elapsed) / max(per_step, 1e-9) * self.margin)
        total = min(self.planned, max(step + 1, affordable))
        if total != self.total and (step == PACE_FIRST or abs(total - self.total) >= 0.02 * self.total):
            log.info("time budget allows %d of %d planned steps", total, self.planned)
        if step == PACE_FIRST and total < self.planned:
            self.warmup = min(self.warmup, max(PACE_FIRST, int(total * self.warmup_ratio)))
        self.total = total

    def done(self, step: int, elapsed: float) -> bool:
        return step >= self.total or (self.budget_s > 0 and elapsed > self.budget_s)
