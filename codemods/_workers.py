"""Worker processes that remember what they did in step 1 when step 2 comes.

A run reads and parses every file (step 1), then, once the class hierarchy of all of them is known,
analyses the files with Module classes (step 2). With a pool that forgets, every analysed file is
parsed twice. Here each worker keeps the syntax trees of the files it parsed (within a budget) and
step 2 first hands each worker the files it kept; the files nobody kept go to whichever worker is
free, as do the files of step 1, so that a slow file does not hold the others back.

The processes are forked: they inherit the rules, options and anything else the ``Worker`` object
holds without pickling it. Only paths and results go through the pipes. A worker that dies leaves
its unfinished paths to the caller, which does them itself; an interrupt reaches the workers as
SIGINT, so that a file being written is finished or left as it was.
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
from typing import Generic, Iterator, Protocol, Sequence, TypeVar

Result = TypeVar("Result")


class Worker(Protocol[Result]):
    def step1(self, paths: list[str]) -> tuple[list, list[str]]:
        """Results for the paths, and the paths whose state this worker kept for step 2."""

    def plan(self, payload: bytes | None, owned: list[str]) -> None:
        """Step 2 begins: what every worker needs (pickled once), and which kept paths it will analyse."""

    def step2(self, path: str) -> Result:
        """Step 2 for one path."""


STEP1, PLAN, STEP2, STOP = "step1", "plan", "step2", "stop"
RESULT, IDLE = "result", "idle"


def _serve(connection, worker: Worker, parents_ends: list, parent: int) -> None:
    try:
        # Forked, this process holds copies of the main process's ends of every pipe made so far; left
        # open, they would keep a dead main process's pipes from ever reading as closed.
        for end in parents_ends:
            end.close()
        _end_with(parent)
        while True:
            kind, payload = connection.recv()
            if kind == STEP1:
                connection.send((STEP1, worker.step1(payload)))
            elif kind in (PLAN, STEP2):
                if kind == PLAN:
                    payload, paths = payload
                    worker.plan(payload, paths)
                else:
                    paths = payload
                for path in paths:
                    connection.send((RESULT, worker.step2(path)))
                connection.send((IDLE, None))
            else:
                return
    except (KeyboardInterrupt, BrokenPipeError, EOFError, ConnectionResetError):
        pass  # the main process decides what an interrupted run reports
    finally:
        connection.close()


def _end_with(parent: int) -> None:
    """A worker must not outlive the main process (SIGKILL, the OOM killer): on Linux the kernel sends it
    SIGINT when the main process dies, which ends it as an interrupt does (a file being written is finished
    or left as it was). Elsewhere a dead main process's pipe reads as closed once a message is awaited."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            PR_SET_PDEATHSIG = 1
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGINT), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # it died before the request took effect
        raise KeyboardInterrupt


class WorkerGroup(Generic[Result]):
    def __init__(self, jobs: int, worker: Worker):
        context = multiprocessing.get_context("fork")
        sys.stdout.flush()  # a forked child would flush the parent's buffered output a second time
        sys.stderr.flush()
        self.processes = []
        self.connections = []
        for _ in range(jobs):
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs, worker, self.connections + [ours], os.getpid()),
                                      daemon=True)
            process.start()
            theirs.close()
            self.processes.append(process)
            self.connections.append(ours)
        self.alive = [True] * jobs
        self.owner: dict[str, int] = {}  # path -> the worker that kept its state in step 1

    def step1(self, paths: Sequence[str], chunk: int = 8) -> tuple[list, list[str]]:
        """Step 1 over the paths, in chunks to whichever worker is free; returns the results and the
        paths no worker answered for (a worker died)."""
        queue = [list(paths[i:i + chunk]) for i in range(0, len(paths), chunk)]
        queue.reverse()
        found: list = []
        lost: list[str] = []
        given: dict[int, list[str]] = {}

        def give(index: int) -> None:
            if queue:
                given[index] = queue.pop()
                if not self._send(index, (STEP1, given[index])):
                    lost.extend(given.pop(index))

        for index in range(len(self.connections)):
            give(index)
        while given:
            for index in self._ready(given):
                message = self._receive(index)
                if message is None:
                    lost.extend(given.pop(index))
                    continue
                results, kept = message[1]
                found.extend(results)
                for path in kept:
                    self.owner[path] = index
                del given[index]
                give(index)
        for index, work in given.items():
            lost.extend(work)
        return found, lost + [p for work in queue for p in work]

    def step2(self, payload: bytes | None, paths: Sequence[str], batch: int = 2) -> Iterator[Result]:
        """Results of step 2 as they come: each worker first does the paths it kept, then takes the
        others a few at a time. Paths of a worker that died are not answered (the caller redoes them)."""
        owned: list[list[str]] = [[] for _ in self.connections]
        others: list[str] = []
        for path in paths:
            index = self.owner.get(path)
            if index is not None and self.alive[index]:
                owned[index].append(path)
            else:
                others.append(path)
        others.reverse()
        working = set()
        for index in range(len(self.connections)):
            if self.alive[index] and self._send(index, (PLAN, (payload, owned[index]))):
                working.add(index)
        while working:
            for index in self._ready(working):
                message = self._receive(index)
                if message is None:
                    working.discard(index)
                elif message[0] == RESULT:
                    yield message[1]
                elif others:
                    share = [others.pop() for _ in range(min(batch, len(others)))]
                    if not self._send(index, (STEP2, share)):
                        working.discard(index)
                else:
                    working.discard(index)

    def __enter__(self) -> "WorkerGroup[Result]":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        for index in range(len(self.connections)):
            if self.alive[index]:
                self._send(index, (STOP, None))
            self.connections[index].close()
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():  # still busy after an interrupt: SIGINT lets it finish or undo a write
                os.kill(process.pid, signal.SIGINT)
                process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()

    def _ready(self, indexes) -> list[int]:
        by_connection = {self.connections[i]: i for i in indexes}
        return [by_connection[c] for c in multiprocessing.connection.wait(list(by_connection))]

    def _send(self, index: int, message) -> bool:
        try:
            self.connections[index].send(message)
            return True
        except OSError:
            self.alive[index] = False
            return False

    def _receive(self, index: int):
        try:
            return self.connections[index].recv()
        except (EOFError, OSError):
            self.alive[index] = False
            return None
