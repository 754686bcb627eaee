"""NOWPayments IPN signatures: HMAC-SHA512 over the body re-serialised with sorted keys.

Whether the sender renders that JSON like Python's `json.dumps(sort_keys=True,
separators=(",", ":"))` or like JavaScript's `JSON.stringify` of a key-sorted object is
unconfirmed, and the two differ for numbers (`15.0` / `15`, `1e-07` / `1e-7`) and non-ASCII
text (escaped / raw UTF-8). So both renderings are computed and either may match.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Literal

Rendering = Literal["python", "js"]
SIGNATURE_HEADER = "x-nowpayments-sig"
_MAX_ARRAY_INDEX = 2**32 - 2  # JS orders such "array index" keys first, numerically
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r"}
_SHORT_ESCAPES["\t"] = "\\t"


class NotJson(ValueError):
    """The body is not a JSON document both Python and JavaScript would parse."""


def _reject_constant(name: str) -> Any:
    raise NotJson(f"{name} is not JSON")  # NaN and Infinity: Python accepts, JSON.parse not


def parse(body: bytes, parse_float: Callable[[str], Any] = float) -> Any:
    """The JSON value of `body` (UTF-8); NotJson when it is not JSON."""
    try:
        return json.loads(body, parse_float=parse_float, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as err:  # bad UTF-8, bad JSON, 5000-digit ints
        raise NotJson(type(err).__name__) from None


def render_python(value: Any) -> str:
    """What Python's `json.dumps(value, sort_keys=True, separators=(",", ":"))` gives."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def js_number(value: float) -> str:
    """JavaScript's `Number.prototype.toString` (as JSON.stringify uses it) for a double."""
    if not math.isfinite(value):
        return "null"  # JSON.stringify(Infinity)
    if value == 0:
        return "0"  # also for -0
    if value < 0:
        return "-" + js_number(-value)
    # Python's repr and JS both give the shortest digits that round-trip; only layout differs.
    _, digit_tuple, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    exponent += len(digit_tuple) - len(digits)
    k = len(digits)
    n = exponent + k  # the decimal point sits after the n-th digit
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return f"{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return f"0.{'0' * -n}{digits}"
    e = n - 1
    mantissa = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def _js_string(text: str) -> str:
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif code < 0x20 or 0xD800 <= code <= 0xDFFF:  # controls and lone surrogates
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _js_key_order(key: str) -> tuple[int, int, bytes]:
    # Object.keys(...).sort() compares UTF-16 code units, but an object built from the
    # sorted keys still lists canonical array-index keys first, in numeric order.
    canonical = key.isascii() and key.isdigit() and len(key) <= 10 and key[0] != "0"
    if (canonical and int(key) <= _MAX_ARRAY_INDEX) or key == "0":
        return (0, int(key), b"")
    return (1, 0, key.encode("utf-16-be", "surrogatepass"))


def render_js(value: Any) -> str:
    """`JSON.stringify` of the value with keys sorted at every depth, as a JS sender does."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _js_string(value)
    if isinstance(value, int | float | Decimal):
        try:
            number = float(value)  # JSON.parse keeps every number as a double
        except OverflowError:
            return "null"
        return js_number(number)
    if isinstance(value, list):
        return "[" + ",".join(render_js(item) for item in value) + "]"
    if isinstance(value, Mapping):
        keys = sorted(value, key=_js_key_order)
        return "{" + ",".join(f"{_js_string(k)}:{render_js(value[k])}" for k in keys) + "}"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def sign(value: Any, secret: str, rendering: Rendering = "python") -> str:
    """The lowercase hex HMAC-SHA512 a sender using `rendering` puts in the header."""
    text = render_python(value) if rendering == "python" else render_js(value)
    return hmac.new(secret.encode(), _encode(text), hashlib.sha512).hexdigest()


def verify(value: Any, secret: str, signature: str) -> bool:
    """True when `signature` matches the value in either rendering (constant-time compares)."""
    given = signature.strip().lower().encode("ascii", "replace")
    matched = False
    for rendering in ("python", "js"):
        expected = sign(value, secret, rendering).encode("ascii")
        matched |= hmac.compare_digest(expected, given)  # no early exit between renderings
    return matched
