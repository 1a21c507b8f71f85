"""Bounded worker pools that asyncio code can await: the server's recognition, speech and dialog
workers.

Each worker is a thread that makes its own resource (a recognizer, a speaker, a database
connection) and alone uses it: none of those objects is safe to share between threads. Jobs wait
in one bounded queue; when it is full, `run` raises `Busy` at once instead of queueing without
end, so a flood of requests gets a clear answer and the work already taken stays fast.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

_LOGGER = logging.getLogger(__name__)

R = TypeVar("R")
T = TypeVar("T")


class Busy(Exception):
    """The pool's queue is full: the job was not taken."""


@dataclass(frozen=True)
class Refusal:
    """Work the server did not do, as the client is told: a sentence and an error code."""

    text: str
    code: str


@dataclass(frozen=True)
class Done(Generic[T]):
    """A job's result and where its time went."""

    value: T
    queue_wait_s: float
    """From `run` until a worker took the job."""
    run_s: float
    """The job itself, in the worker."""


@dataclass
class _Job:
    work: Callable[[object], object]
    future: asyncio.Future
    loop: asyncio.AbstractEventLoop
    queued_at: float


class WorkerPool(Generic[R]):
    """`size` threads, each with its own resource from `make` (called in that thread)."""

    def __init__(
        self,
        name: str,
        size: int,
        make: Callable[[], R],
        queue_size: int,
        close: Callable[[R], None] | None = None,
    ) -> None:
        if size < 1 or queue_size < 1:
            raise ValueError(f"{name}: a pool needs at least 1 worker and a queue of 1 or more")
        self.name = name
        self.size = size
        self._make = make
        self._close = close
        self._jobs: queue.Queue[_Job | None] = queue.Queue(maxsize=queue_size)
        self._threads: list[threading.Thread] = []
        self._working = 0
        """Workers that made their resource and wait for jobs (set before `start` returns)."""
        self.refused = 0
        """Jobs refused with Busy so far."""

    def start(self) -> None:
        """Start the workers and wait until each has made its resource; the first failure to
        make one is raised (and the workers that started are stopped)."""
        ready: queue.Queue[BaseException | None] = queue.Queue()
        for index in range(self.size):
            thread = threading.Thread(
                target=self._work, args=(ready,), name=f"{self.name}-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        answers = [ready.get() for _ in self._threads]
        failures = [error for error in answers if error is not None]
        self._working = len(answers) - len(failures)
        if failures:
            self.stop()
            raise failures[0]

    async def run(self, work: Callable[[R], T]) -> Done[T]:
        """`work(resource)` in a worker; Busy at once when the queue is full. Raises what
        `work` raises."""
        loop = asyncio.get_running_loop()
        job = _Job(work, loop.create_future(), loop, time.perf_counter())  # type: ignore[arg-type]
        try:
            self._jobs.put_nowait(job)
        except queue.Full:
            self.refused += 1
            raise Busy(self.name) from None
        return await job.future

    @property
    def waiting(self) -> int:
        """Jobs in the queue, not yet taken by a worker."""
        return self._jobs.qsize()

    def stop(self) -> None:
        """Let the workers finish the jobs they hold and the queued ones, then end them."""
        for _worker in range(self._working):
            self._jobs.put(None)  # workers take these after the queued jobs
        self._working = 0
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads.clear()

    def _work(self, ready: queue.Queue[BaseException | None]) -> None:
        try:
            resource = self._make()
        except BaseException as error:
            ready.put(error)
            return
        ready.put(None)
        try:
            while (job := self._jobs.get()) is not None:
                self._do(job, resource)
        finally:
            if self._close is not None:
                self._close(resource)

    def _do(self, job: _Job, resource: R) -> None:
        started = time.perf_counter()
        try:
            value, error = job.work(resource), None
        except Exception as raised:
            value, error = None, raised
        finished = time.perf_counter()
        done = Done(value, started - job.queued_at, finished - started)
        try:
            job.loop.call_soon_threadsafe(_settle, job.future, done, error)
        except RuntimeError:  # the event loop has closed: no one waits for the answer
            _LOGGER.debug("%s: a job finished after its event loop closed", self.name)


def _settle(future: asyncio.Future, done: Done, error: Exception | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(done)
