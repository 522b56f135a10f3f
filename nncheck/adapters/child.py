"""The child process: run the user's script as ``__main__`` with training intercepted.

    python -m nncheck.adapters.child SCRIPT OUT MAX_SAMPLES [ARGS...]

Writes a pickled :class:`~nncheck.facts.live.CaptureResult` to OUT: the facts captured at the
first training step, the exception that ended the script before training, or the fact that it
ended without training. The parent (``nncheck.facts.capture``) owns timeouts and clean-up.

``NNCHECK_FIT_CALL`` (default 1) picks which ``fit()`` call is captured; the earlier ones
train as the script says. With ``NNCHECK_PROBES`` set (JSON: budget, seed, progress file)
the probes run after the capture, which is written first, so a parent that stops overlong
probes keeps the capture.
``NNCHECK_FINGERPRINT_ONLY`` makes a twin run that reports the weights' fingerprint only.
"""

from __future__ import annotations

import builtins
import importlib.abc
import importlib.machinery
import linecache
import os
import pickle
import runpy
import sys
import time
import traceback
import types
from pathlib import Path
from typing import Any

from nncheck.facts.live import CaptureResult, Site, describe_internal_error
from nncheck.notebook import is_notebook, read_notebook


def _user_frame(error: BaseException, root: Path) -> Site | None:
    """The deepest traceback frame in the user's files: where their code raised."""
    found = None
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename)
        if "site-packages" in frame.filename or frame.filename.startswith("<"):
            continue
        if path.resolve().is_relative_to(root) and not path.resolve().is_relative_to(
            Path(__file__).resolve().parents[1]
        ):
            found = Site(str(path), frame.lineno or 0)
    return found


def _peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmHWM"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return 0.0


KERAS_2_MESSAGE = (
    "the script trains with Keras 2 (it imports tf_keras, which TF_USE_LEGACY_KERAS=1 makes "
    "tf.keras): the full check captures Keras 3 training; `nncheck --static` still checks the "
    "source"
)


class Keras2Import(BaseException):
    """Raised when the script imports tf_keras: training through it would not be captured,
    so the script is stopped there (a BaseException: ``except ImportError`` must not hide it)."""


class _RefuseKeras2(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name != "tf_keras" and not name.startswith("tf_keras."):
            return None  # every other import: no search of sys.path here
        if importlib.machinery.PathFinder.find_spec("tf_keras") is not None:
            raise Keras2Import(name)
        return None  # not installed: the import raises ImportError, as the script expects


def run(script: Path, max_samples: int, args: list[str]) -> tuple[CaptureResult, Any]:
    """The script's CaptureResult, and the Recorder that holds the live objects."""
    started = time.perf_counter()
    from nncheck.adapters import keras3

    import_s = time.perf_counter() - started
    recorder = keras3.Recorder(script, max_samples, int(os.environ.get("NNCHECK_FIT_CALL", "1")))
    keras3.install(recorder)
    preseed = os.environ.get("NNCHECK_PRESEED")
    if preseed is not None:
        # Deterministic probes even for a script that does not seed; the twin run gets
        # another pre-seed, so only the script's own seeding can make the two runs agree.
        keras3.keras.utils.set_random_seed(int(preseed))
    sys.argv = [str(script), *args]
    sys.path.insert(0, str(script.parent))
    os.chdir(script.parent)
    sys.meta_path.insert(0, _RefuseKeras2())
    try:
        if is_notebook(script):
            run_notebook(script)
        else:
            runpy.run_path(str(script), run_name="__main__")
    except keras3.CaptureStop:
        pass
    except Keras2Import:
        return CaptureResult(status="unsupported", error=KERAS_2_MESSAGE), recorder
    except SystemExit as exit_:
        if exit_.code not in (None, 0):
            failed = f"the script exited with status {exit_.code}"
            return CaptureResult(status="error", error=failed), recorder
    except BaseException as error:  # the user's script failed: report where and why
        message = f"{type(error).__name__}: {error}".strip()
        site = _user_frame(error, script.parent)
        return CaptureResult(status="error", error=message, error_site=site), recorder
    result = recorder.result or CaptureResult(status="no_training")
    result.extra["fit_calls"] = recorder.fit_calls
    result.timings["import_s"] = import_s
    result.timings["peak_rss_mb"] = _peak_rss_mb()
    return result, recorder


def run_notebook(path: Path) -> None:
    """Run a notebook's code cells in order as ``__main__``, like the script they make.

    The code is compiled under the notebook's path, so the capture's sites and the
    traceback of a failing cell point into it (and map back to cells); tracebacks show the
    cells' code, not the JSON. ``display()``, which Jupyter provides as a built-in, prints.
    """
    notebook = read_notebook(path)
    code = compile(notebook.text, str(path), "exec")
    lines = notebook.text.splitlines(keepends=True)
    linecache.cache[str(path)] = (len(notebook.text), None, lines, str(path))
    module = types.ModuleType("__main__")
    module.__dict__.update({"__builtins__": builtins, "display": print})
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = module
    try:
        exec(code, module.__dict__)
    finally:
        if saved is not None:
            sys.modules["__main__"] = saved


def _write(result: CaptureResult, out: str) -> None:
    partial = f"{out}.part"
    with open(partial, "wb") as handle:
        pickle.dump(result, handle)
    os.replace(partial, out)  # the parent never reads half a file


def _probe(result: CaptureResult, recorder: Any) -> None:
    """Run the probes on the captured setup (or take the twin's fingerprint)."""
    from nncheck.adapters import keras3, probe_measures, probes

    model = getattr(recorder, "model", None)
    if result.status != "captured" or model is None or result.model is None:
        return
    keras3.uninstall()  # the clones train with Keras' own fit / train_on_batch
    runner = probes.for_capture(recorder, result, probes.ProbeOptions.from_env())
    runner.out.fingerprint = probe_measures.fingerprint(model)
    if os.environ.get("NNCHECK_FINGERPRINT_ONLY"):
        result.probes = runner.out
        return
    result.probes = runner.run()


def main() -> None:
    script, out, max_samples, *args = sys.argv[1:]
    recorder = None
    try:
        result, recorder = run(Path(script).resolve(), int(max_samples), args)
    except BaseException as error:  # nncheck's own bug: say so, with the traceback
        detail = describe_internal_error(error)
        result = CaptureResult(status="internal_error", error=detail)
    _write(result, out)
    if "NNCHECK_PROBES" in os.environ or "NNCHECK_FINGERPRINT_ONLY" in os.environ:
        try:
            _probe(result, recorder)
        except BaseException as error:  # the capture stands; the probes say what failed
            result.notes.append(f"the probes failed: {describe_internal_error(error)}")
        _write(result, out)
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: TensorFlow's can take seconds


if __name__ == "__main__":
    main()
