"""Numbers in messages and reports, written the way people write them."""

from __future__ import annotations


def fmt_number(value: float) -> str:
    """Numbers as people write them in code: 0.001 -> 1e-3, 0.5 -> 0.5."""
    if isinstance(value, int):
        return str(value)
    if value != 0 and (abs(value) < 1e-2 or abs(value) >= 1e4):
        mantissa, exponent = f"{value:.0e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    return f"{value:g}"


def fmt_sci(value: float | None) -> str:
    """A measurement in short scientific notation: 0.00123 -> 1.2e-3; None -> "-"."""
    if value is None:
        return "-"
    return f"{value:.1e}".replace("e-0", "e-").replace("e+0", "e")


def fmt_bytes(count: float) -> str:
    """A memory size in the largest binary unit it fills: 21568 -> "21.1 KiB"."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= size:
            return f"{count / size:,.1f} {unit}"
    return f"{int(count)} bytes"
