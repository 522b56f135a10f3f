"""Children forked from a server that imported Keras once, for the suite's many fixtures.

nncheck spawns a fresh interpreter per script (a script may pick its Keras backend before
importing Keras), and each pays TensorFlow's import, about 3 s of CPU. The fixtures all run
on the TensorFlow backend and choose nothing before the import, so the fixture tests start
their children from a multiprocessing fork server that imported ``nncheck.adapters.keras3``
and nothing else: each child is a copy of that fresh state, with its own environment,
working directory, log and process group, as a spawned one has. The tests of the capture
itself (time limits, signals, process trees) keep the spawned children.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import runpy
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from nncheck.facts import capture

_context = None


def _server():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(["nncheck.adapters.keras3"])
    return _context


def _run(command: list[str], env: dict[str, str], cwd: str, log_path: str) -> None:
    """In the forked child: become what spawn_child would have started, then run it."""
    os.setsid()
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = None  # the server may have cached another test's TMPDIR
    os.chdir(cwd)
    module = command[command.index("-m") + 1]
    sys.argv = [module, *command[command.index("-m") + 2 :]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


class ForkedChild:
    """A child from the fork server, with the part of subprocess.Popen run_module uses."""

    def __init__(self, command: list[str], log: IO[bytes], env: dict[str, str], cwd: Path):
        self._process = _server().Process(target=_run, args=(command, env, str(cwd), log.name))
        self._process.start()
        self.pid: int = self._process.pid or 0
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self._process.is_alive():
            return None
        return self.wait()

    def wait(self) -> int:
        self._process.join()
        self.returncode = self._process.exitcode
        return self.returncode or 0


@contextlib.contextmanager
def forked_children() -> Iterator[None]:
    """Within this block nncheck starts its children from the fork server."""
    previous, capture.start_child = capture.start_child, ForkedChild
    try:
        yield
    finally:
        capture.start_child = previous
