"""Submissions that arrive together are decided together: one unit of work for many (group commit).

In the last minutes of a window many enterprises submit at once. Deciding each in its own
transaction costs ~10 ms of CPU a submission (authorisation, the rows read under lock, the audit
chain and its anchor, the outbox, the commit); `services.handlers.submit_many` decides a batch in
one transaction at a fraction of that per submission, each application still with its own
decision, its own audit record and its own refusal (`fire_each`).

`SubmitBatcher.submit` is called by the request's thread. The first caller that finds no batch
running becomes the leader: it takes what is queued and decides it; the others wait for their
answer. Nothing waits on purpose: a lone submission is a batch of one, decided at once, and while
a batch is in its transaction the next one gathers. Per batch:

- at most `max_batch` submissions, each application at most once (a second submission of the
  same application waits for the next batch, so it sees the first one's outcome);
- only submissions whose instants fall in the same second, judged at the latest of their
  instants: every deadline is a whole second (a window ends at 00:00:00), so each submission gets
  the decision its own instant would get, and none is judged at an instant before it arrived;
- a refused submission raises `Refused` exactly as `handlers.submit` does (audited once, by the
  engine); a version conflict is audited for every member (`Lifecycle.audit_conflicts`) and
  raised to each; any other failure rolls the batch back, and each member is then decided alone
  through `handlers.submit`, so one member's fault is never another's.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from services import handlers
from services.errors import Conflict, Refused
from states.actors import Actor
from store.db import Database
from store.transitions import Result

MAX_BATCH = 64


@dataclass(eq=False)
class _Ticket:
    actor: Actor
    app_id: int
    now: datetime
    done: bool = False
    result: Result | None = None
    error: BaseException | None = None
    second: int = field(init=False)  # the POSIX second of `now`

    def __post_init__(self) -> None:
        self.second = math.floor(self.now.timestamp())

    def outcome(self) -> Result:
        if self.error is not None:
            raise self.error
        if self.result is None:
            raise RuntimeError(f"APP {self.app_id}: the submission was not decided")
        return self.result


class SubmitBatcher:
    """One per database and process; thread-safe."""

    def __init__(self, db: Database, max_batch: int = MAX_BATCH) -> None:
        self.db = db
        self.max_batch = max_batch
        self._queue: deque[_Ticket] = deque()
        self._busy = False
        self._cv = threading.Condition()

    def submit(self, actor: Actor, app_id: int, *, now: datetime) -> Result:
        """What `handlers.submit(db, actor, app_id, now=now)` answers, decided in a batch."""
        ticket = _Ticket(actor, app_id, now)
        with self._cv:
            self._queue.append(ticket)
        while True:
            with self._cv:
                while self._busy and not ticket.done:
                    self._cv.wait()
                if ticket.done:
                    return ticket.outcome()
                self._busy = True
                batch = self._take()
            try:
                self._decide(batch)
            finally:
                with self._cv:
                    self._busy = False
                    self._cv.notify_all()

    def _take(self) -> list[_Ticket]:
        """The queue's oldest submissions of one second, each application once (under the lock)."""
        batch: list[_Ticket] = []
        seen: set[int] = set()
        kept: deque[_Ticket] = deque()
        second = self._queue[0].second
        while self._queue and len(batch) < self.max_batch:
            t = self._queue.popleft()
            if t.second != second or t.app_id in seen:
                kept.append(t)
                continue
            seen.add(t.app_id)
            batch.append(t)
        kept.extend(self._queue)
        self._queue = kept
        return batch

    def _decide(self, batch: list[_Ticket]) -> None:
        try:
            if len(batch) == 1:
                self._alone(batch[0])
                return
            now = max(t.now for t in batch)
            try:
                found = handlers.submit_many(self.db, [(t.actor, t.app_id) for t in batch], now=now)
            except Conflict as exc:  # every member's attempt was audited as refused
                for t in batch:
                    t.error = exc
                return
            except Exception:  # rolled back: each decided alone, with its own outcome and record
                for t in batch:
                    self._alone(t)
                return
            by_app = {r.application_id: r for r in found.results}
            for t in batch:
                r = by_app[t.app_id]
                if r.accepted:
                    t.result = r
                else:
                    t.error = Refused(r.rule, r.message, act="submit", app_id=t.app_id)
        finally:
            with self._cv:
                for t in batch:
                    t.done = True

    def _alone(self, t: _Ticket) -> None:
        try:
            t.result = handlers.submit(self.db, t.actor, t.app_id, now=t.now)
        except Exception as exc:
            t.error = exc
