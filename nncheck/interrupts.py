"""Ctrl-C and SIGTERM: stop cleanly, leaving no child process and no temporary directory.

Python turns Ctrl-C into ``KeyboardInterrupt``, so every ``with`` and ``finally`` on the
way out runs: the capture kills its children's process groups and removes its temporary
directories. SIGTERM (what ``kill``, CI runners and job schedulers send) would end the
process on the spot instead; :func:`signals_unwind` makes it raise :class:`Terminated` the
same way while nncheck works, so a killed nncheck cleans up exactly like an interrupted one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType

EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130, the shell's convention
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143


class Terminated(BaseException):
    """SIGTERM arrived; raised like KeyboardInterrupt so that clean-up code runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def signals_unwind() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` (in the main thread only,
    where Python delivers signals); the previous handler is restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def redeliver_termination() -> Iterator[None]:
    """For code in someone else's process (the Python API, the Keras callback): SIGTERM
    unwinds nncheck's work as above, then reaches the process's own handler as if nncheck
    had not been there (by default, the process ends with the signal's status)."""
    try:
        with signals_unwind():
            yield
    except Terminated as terminated:
        os.kill(os.getpid(), terminated.signum)
        raise
