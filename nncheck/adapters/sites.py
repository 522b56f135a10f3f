"""Where things come from in the user's code: construction and call sites, for any adapter."""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

from nncheck.facts.live import Site

OWN_PACKAGE = Path(__file__).resolve().parents[1]  # nncheck's package: never user code


class SiteTracker:
    """Tells the user's files from libraries and nncheck, and remembers construction sites."""

    def __init__(self, script: Path) -> None:
        self.script = script.resolve()
        self.root = self.script.parent
        self.own = OWN_PACKAGE
        self.sites: dict[int, tuple[Any, Site]] = {}

    def user_site(self, model: Any = None) -> Site | None:
        """The innermost frame of the stack that is in the user's code, past the model's own
        methods (a subclass's ``fit`` that calls ``super().fit``): where the user trains."""
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            filename = frame.f_code.co_filename
            own_method = model is not None and frame.f_locals.get("self") is model
            if self._is_user_file(filename) and not own_method:
                return Site(filename, frame.f_lineno)
            frame = frame.f_back
        return None

    def _is_user_file(self, filename: str) -> bool:
        if filename.startswith("<") or "site-packages" in filename or "dist-packages" in filename:
            return False
        path = Path(filename).resolve()
        return path.is_relative_to(self.root) and not path.is_relative_to(self.own)

    def remember(self, obj: Any) -> None:
        """Record where ``obj`` was constructed, if the user's code constructed it.

        The constructor's own frames (``__init__`` of the class and its bases, ``__new__``)
        and nncheck's are skipped; the frame that called the constructor decides: the user's
        file, or a library (a layer inside ``keras.applications.MobileNetV2``), which gets no
        site.
        """
        frame: FrameType | None = sys._getframe(1)
        while frame is not None and (
            frame.f_locals.get("self") is obj
            or frame.f_code.co_name in {"__new__", "__call__"}
            or Path(frame.f_code.co_filename).resolve().is_relative_to(self.own)
        ):
            frame = frame.f_back
        if frame is not None and self._is_user_file(frame.f_code.co_filename):
            self.sites.setdefault(id(obj), (obj, Site(frame.f_code.co_filename, frame.f_lineno)))

    def site_of(self, obj: Any) -> Site | None:
        entry = self.sites.get(id(obj))
        return entry[1] if entry and entry[0] is obj else None
