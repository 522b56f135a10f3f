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
import random
import runpy
import sys
import time
import traceback
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nncheck.adapters.capture_stop import CaptureStop
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


class AdapterFailed(BaseException):
    """Raised into the script's ``import keras`` when installing the adapter failed: the
    script must not go on to train unobserved (a BaseException: ``except`` must not hide it)."""


class _ExecThen(importlib.abc.Loader):
    """A package's own loader, then ``then()`` once the package's ``__init__`` has run (a
    spec that is only looked up, as importlib.util.find_spec does, is never executed)."""

    def __init__(self, loader: importlib.abc.Loader, then: Callable[[], None]) -> None:
        self.loader, self.then = loader, then

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        module.__loader__ = self.loader  # the package keeps its own loader (resources)
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        self.then()


class OnImport(importlib.abc.MetaPathFinder):
    """Installs an adapter when the script imports its framework's top-level package, not
    before: the script's own choices made before that import (``KERAS_BACKEND``) must hold,
    and a script imports only the frameworks it uses. Models, losses and training calls all
    come after the import, so the adapter still sees every one. When the package is already
    imported (a forked test child), it installs at once."""

    package = ""

    def __init__(self) -> None:
        self.recorder: Any = None
        self.installed = False
        self.import_s = 0.0  # importing the package and installing the adapter
        self.script_started = time.perf_counter()

    def install_if_imported(self) -> None:
        if self.package in sys.modules:
            self._installed_at(None)

    def start_script(self) -> None:
        """The script starts now: its time counts from here."""
        self.script_started = time.perf_counter()
        if self.recorder is not None:
            self.recorder.started = self.script_started

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != self.package or self.installed:
            return None
        started = time.perf_counter()
        for finder in sys.meta_path:
            if isinstance(finder, OnImport) or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None  # not installed: the script's import raises ImportError
        if spec.loader is not None:
            spec.loader = _ExecThen(spec.loader, lambda: self._installed_at(started))
        return spec

    def _installed_at(self, started: float | None) -> None:
        """Install the adapter; ``started``: when the script's import began (None when the
        package was imported before the script)."""
        self.installed = True
        try:
            self.install()
        except Exception as error:
            raise AdapterFailed(describe_internal_error(error)) from error
        if self.recorder is not None:
            self.recorder.started = self.script_started
        if started is not None:
            self.import_s = time.perf_counter() - started

    def install(self) -> None:
        raise NotImplementedError


class KerasOnImport(OnImport):
    """The Keras adapter, on any backend: the script picks it before ``import keras``."""

    package = "keras"

    def __init__(
        self,
        script: Path,
        max_samples: int,
        fit_call: int,
        preseed: Preseed | None,
    ) -> None:
        super().__init__()
        self.script, self.max_samples, self.fit_call = script, max_samples, fit_call
        self.preseed = preseed

    def install(self) -> None:
        from nncheck.adapters import keras3

        self.recorder = keras3.Recorder(self.script, self.max_samples, self.fit_call)
        keras3.install(self.recorder)
        if self.preseed is not None:
            self.preseed.keras_imported(keras3.keras)


class TorchOnImport(OnImport):
    """The PyTorch adapter. Beside the Keras adapter when a script imports both: whichever
    training entry point comes first captures (Keras on its torch backend trains with
    Keras' own optimizers, so a Keras script is always captured by the Keras adapter)."""

    package = "torch"

    def __init__(self, script: Path, max_samples: int, preseed: Preseed | None) -> None:
        super().__init__()
        self.script, self.max_samples, self.preseed = script, max_samples, preseed

    def install(self) -> None:
        from nncheck.adapters import pytorch

        self.recorder = pytorch.Recorder(self.script, self.max_samples)
        pytorch.install(self.recorder)
        if self.preseed is not None:  # the script's own torch.manual_seed comes after
            import torch

            torch.manual_seed(self.preseed.seed)


class Preseed:
    """Deterministic probes even for a script that does not seed.

    Python's and NumPy's generators are seeded before the script runs, and all of them
    again with ``keras.utils.set_random_seed`` when the script's import statement that
    brought Keras in returns (importing Keras draws from NumPy's generator, so seeding
    inside that import would leave another state): the script then starts its own code in
    the same state as with Keras imported first. A generator the script seeded itself
    before that keeps its state: the script's seeding always wins. The twin run gets
    another pre-seed, so only the script's own seeding can make the two runs agree.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.seeded_by_script: set[str] = set()
        self._originals: list[tuple[Any, str, Any]] = []
        self._keras: Any = None
        self._depth = 0  # import statements in progress
        self._watch_imports()
        random.seed(seed)
        self._watch(random, "random")
        try:
            import numpy as np
        except ImportError:
            return
        np.random.seed(seed)
        self._watch(np.random, "numpy")

    def _watch(self, module: Any, name: str) -> None:
        original = module.seed

        def seed(*args: Any, **kwargs: Any) -> Any:
            self.seeded_by_script.add(name)
            return original(*args, **kwargs)

        self._originals.append((module, "seed", original))
        module.seed = seed

    def _watch_imports(self) -> None:
        original = builtins.__import__

        def importing(*args: Any, **kwargs: Any) -> Any:
            self._depth += 1
            try:
                return original(*args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0 and self._keras is not None:
                    self._seed_keras()

        self._originals.append((builtins, "__import__", original))
        builtins.__import__ = importing

    def keras_imported(self, keras: Any) -> None:
        """Keras is imported: seed it once the import statement in progress returns."""
        self._keras = keras
        if self._depth == 0:  # imported before the script, or through importlib
            self._seed_keras()

    def _seed_keras(self) -> None:
        keras, self._keras = self._keras, None  # once: the imports below come back here
        self.restore()  # Keras' own seeding below is not the script's
        import numpy as np

        python_state, numpy_state = random.getstate(), np.random.get_state()
        keras.utils.set_random_seed(self.seed)
        if "random" in self.seeded_by_script:
            random.setstate(python_state)
        if "numpy" in self.seeded_by_script:
            np.random.set_state(numpy_state)

    def restore(self) -> None:
        while self._originals:
            module, name, original = self._originals.pop()
            setattr(module, name, original)


def run(script: Path, max_samples: int, args: list[str]) -> tuple[CaptureResult, Any]:
    """The script's CaptureResult, and the Recorder that holds the live objects (None when
    the script never imported Keras)."""
    seed = os.environ.get("NNCHECK_PRESEED")
    preseed = Preseed(int(seed)) if seed is not None else None
    fit_call = int(os.environ.get("NNCHECK_FIT_CALL", "1"))
    torch_adapter = TorchOnImport(script, max_samples, preseed)
    adapter = KerasOnImport(script, max_samples, fit_call, preseed)
    adapter.install_if_imported()
    torch_adapter.install_if_imported()
    sys.argv = [str(script), *args]
    sys.path.insert(0, str(script.parent))
    os.chdir(script.parent)
    sys.meta_path.insert(0, _RefuseKeras2())
    sys.meta_path[:0] = [adapter, torch_adapter]
    adapter.start_script()
    torch_adapter.start_script()
    try:
        if is_notebook(script):
            run_notebook(script)
        else:
            runpy.run_path(str(script), run_name="__main__")
    except CaptureStop:
        pass
    except AdapterFailed as error:
        return CaptureResult(status="internal_error", error=str(error)), None
    except Keras2Import:
        return CaptureResult(status="unsupported", error=KERAS_2_MESSAGE), adapter.recorder
    except SystemExit as exit_:
        if exit_.code not in (None, 0):
            failed = f"the script exited with status {exit_.code}"
            return CaptureResult(status="error", error=failed), adapter.recorder
    except BaseException as error:  # the user's script failed: report where and why
        message = f"{type(error).__name__}: {error}".strip()
        site = _user_frame(error, script.parent)
        return CaptureResult(status="error", error=message, error_site=site), adapter.recorder
    finally:
        sys.meta_path.remove(adapter)
        sys.meta_path.remove(torch_adapter)
        if preseed is not None:
            preseed.restore()
    used = next((a for a in (adapter, torch_adapter) if a.recorder and a.recorder.result), None)
    used = used or (adapter if adapter.recorder else torch_adapter)
    recorder = used.recorder
    result = (recorder.result if recorder else None) or CaptureResult(status="no_training")
    result.extra["fit_calls"] = adapter.recorder.fit_calls if adapter.recorder else 0
    if adapter.recorder and torch_adapter.recorder and result.status == "captured":
        checked = "PyTorch" if result.framework == "pytorch" else "Keras"
        line = f" (line {result.train.site.line})" if result.train and result.train.site else ""
        result.extra["framework_note"] = (
            f"the script imports both TensorFlow/Keras and PyTorch: nncheck checked the "
            f"first training step it reached, {checked}'s{line}"
        )
    result.timings["import_s"] = used.import_s
    if "script_s" in result.timings:  # the script's own code, its framework's import aside
        result.timings["script_s"] = max(0.0, result.timings["script_s"] - used.import_s)
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
    model = getattr(recorder, "model", None)
    if result.status != "captured" or model is None or result.model is None:
        return
    if result.framework == "pytorch":  # (Keras may not even be installed)
        from nncheck.adapters import pytorch, pytorch_probes
        from nncheck.adapters.probe_limits import ProbeOptions

        pytorch.uninstall()  # the copies train without the capture's hooks
        torch_probes = pytorch_probes.TorchProbes(recorder, result, ProbeOptions.from_env())
        torch_probes.out.fingerprint = pytorch_probes.fingerprint(recorder.model)
        if not os.environ.get("NNCHECK_FINGERPRINT_ONLY"):
            torch_probes.run()
        result.probes = torch_probes.out
        return
    from nncheck.adapters import keras3, probe_measures, probes

    keras3.uninstall()  # the clones train with Keras' own fit / train_on_batch
    if "torch" in sys.modules:  # no module hooks on Keras' torch backend while it probes
        from nncheck.adapters import pytorch

        pytorch.uninstall()
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
