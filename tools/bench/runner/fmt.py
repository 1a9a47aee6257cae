"""Numbers as the report writes them, and the verdict on a target."""


def us(ns):
    """Nanoseconds as microseconds with two decimals ("n/a" when missing)."""
    return "n/a" if ns is None else f"{ns / 1e3:.2f}"


def ratio(a, b):
    """a / b, None when either is missing or b is zero."""
    if a is None or b is None or not b:
        return None
    return a / b


def fmt_ratio(x):
    """A ratio as "1.23x"."""
    return "n/a" if x is None else f"{x:.2f}x"


def verdict(x, limit, at_least=False):
    """Whether `x` meets `limit` (at most, or at least)."""
    if x is None:
        return "not measured"
    ok = x >= limit if at_least else x <= limit
    return "met" if ok else "**missed**"


def per_msg(v):
    """A per-message figure to four significant digits ("n/a" when unavailable)."""
    if v is None:
        return "n/a"
    if isinstance(v, float) and v != v:  # NaN: unavailable
        return "n/a"
    return f"{v:.4g}"
