"""The signal that ends the user's script at its first training step, framework-neutral."""


class CaptureStop(BaseException):
    """Raised at the first training step to stop the script (not an Exception on purpose:
    a script's ``except Exception`` must not swallow it)."""
