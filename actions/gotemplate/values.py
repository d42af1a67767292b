"""How Go values are represented in Python.

Data is what ``json.loads`` produces, seen as Go's ``encoding/json`` would decode it:

* ``str`` is a Go ``string``. Raw bytes that are not UTF-8 (only ``slice`` and string
  escapes can make them) are kept as surrogate escapes (U+DC80..U+DCFF), one per byte.
* ``float`` and ``int`` (but not ``bool``) are ``float64``: JSON has no integers in Go.
* ``bool``, ``list`` (``[]interface {}``), ``dict`` (``map[string]interface {}``).
* ``None`` inside a list or a map is a nil ``interface {}``.

Values that only templates make are tagged: ``GoInt`` (an integer literal is a Go ``int``),
``GoUint8`` (a byte, from ``index`` on a string), ``complex`` (``complex128``). ``MISSING``
is Go's invalid ``reflect.Value``, what a missing map key gives: it prints ``<no value>``.
"""

import codecs


class _Missing:
    __slots__ = ()

    def __repr__(self):
        return "MISSING"

    def __bool__(self):
        return False


MISSING = _Missing()


class _NoFinal:
    """No value piped into a command (Go's missingVal)."""

    __slots__ = ()

    def __repr__(self):
        return "NO_FINAL"


NO_FINAL = _NoFinal()


class NilMap(dict):
    """A nil ``map[string]interface {}``: the root data when the JSON was ``null``."""

    __slots__ = ()


class GoInt(int):
    """A Go ``int`` (from an integer, rune or hex literal in the template)."""

    __slots__ = ()

    def __repr__(self):
        return f"GoInt({int(self)})"


class GoUint8(int):
    """A Go ``uint8`` (a byte of a string, from ``index``)."""

    __slots__ = ()

    def __repr__(self):
        return f"GoUint8({int(self)})"


class GoSlice(list):
    """A list made by ``slice``: it remembers the backing array it was cut from."""

    __slots__ = ("backing", "offset", "cap")


INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


def as_float(v):
    """A data number (Python int or float) as a float64; huge ints overflow to +-Inf."""
    try:
        return float(v)
    except OverflowError:
        return float("inf") if v > 0 else float("-inf")


# Kinds, for the slow paths that must tell every Go type apart.
K_INVALID = 0  # MISSING
K_NIL = 1  # None: a nil interface {}
K_BOOL = 2
K_INT = 3  # GoInt
K_UINT8 = 4  # GoUint8
K_FLOAT = 5  # float, or an int from JSON
K_COMPLEX = 6
K_STRING = 7
K_LIST = 8
K_MAP = 9
K_OTHER = 10  # not JSON: refused where it is used


def kind(v):
    t = type(v)
    if t is str:
        return K_STRING
    if t is float or t is int:
        return K_FLOAT
    if t is bool:
        return K_BOOL
    if t is dict or t is NilMap:
        return K_MAP
    if t is list or t is GoSlice:
        return K_LIST
    if v is None:
        return K_NIL
    if v is MISSING:
        return K_INVALID
    if t is GoInt:
        return K_INT
    if t is GoUint8:
        return K_UINT8
    if t is complex:
        return K_COMPLEX
    return K_OTHER


_TYPE_NAMES = {
    K_STRING: "string",
    K_FLOAT: "float64",
    K_BOOL: "bool",
    K_MAP: "map[string]interface {}",
    K_LIST: "[]interface {}",
    K_INT: "int",
    K_UINT8: "uint8",
    K_COMPLEX: "complex128",
    K_NIL: "interface {}",
    K_INVALID: "interface {}",
}


def type_name(v):
    """Go's name of the dynamic type of v (``reflect.TypeOf(v).String()``)."""
    k = kind(v)
    if k == K_OTHER:
        return type(v).__name__
    return _TYPE_NAMES[k]


def is_true(v):
    """Go's truth of a value (``if``, ``with``, ``and``, ``or``, ``not``)."""
    k = kind(v)
    if k == K_STRING or k == K_LIST or k == K_MAP:
        return len(v) > 0
    if k == K_BOOL:
        return v
    if k == K_NIL or k == K_INVALID:
        return False
    if k == K_OTHER:
        return True
    return v != 0


def bytes_of(s):
    """The bytes of a Go string."""
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        # Lone surrogates that are not byte escapes: Go's JSON decoder would have made
        # them U+FFFD.
        fixed = "".join("\ufffd" if "\ud800" <= c <= "\udfff" and c < "\udc80" else c for c in s)
        return fixed.encode("utf-8", "surrogateescape")


def string_of(b):
    """A Go string from bytes (invalid UTF-8 is kept as surrogate escapes)."""
    return b.decode("utf-8", "surrogateescape")


def byte_len(s):
    if s.isascii():
        return len(s)
    return len(bytes_of(s))


def _replace_per_byte(error):
    # Go replaces each invalid byte by U+FFFD (utf8.DecodeRune returns width 1).
    return "\ufffd" * (error.end - error.start), error.end


codecs.register_error("gotemplate-per-byte", _replace_per_byte)


def valid_text(s):
    """The output string with raw non-UTF-8 bytes replaced as Go's JSON encoder does."""
    if s.isascii():
        return s
    for c in s:
        if "\ud800" <= c <= "\udfff":
            break
    else:
        return s
    return bytes_of(s).decode("utf-8", "gotemplate-per-byte")


def json_slice_cap(n):
    """The capacity Go's encoding/json leaves on a decoded []interface{} of length n.

    The decoder appends one element at a time to make([]interface{}, 0); ``slice`` may
    reach up to the capacity (the extra elements are nil), so we replay Go 1.19's
    growslice for 16-byte elements, rounded up to the allocator's size classes.
    """
    cap = 0
    while cap < n:
        cap = _grow(cap, cap + 1)
    return cap


_SIZE_CLASSES = (
    0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
    288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280,
    1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528,
    6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072,
    20480, 21760, 24576, 27264, 28672, 32768,
)  # fmt: skip


def _roundupsize(size):
    if size <= 32768:
        for c in _SIZE_CLASSES:
            if c >= size:
                return c
    page = 8192
    return (size + page - 1) // page * page


def _grow(old_cap, needed):
    newcap = old_cap
    doublecap = newcap + newcap
    if needed > doublecap:
        newcap = needed
    elif old_cap < 256:
        newcap = doublecap
    else:
        while 0 < newcap < needed:
            newcap += (newcap + 3 * 256) // 4
        if newcap <= 0:
            newcap = needed
    return _roundupsize(newcap * 16) // 16


def slice_backing(v):
    """(backing list, offset, capacity) of a list, for ``slice``."""
    if type(v) is GoSlice:
        return v.backing, v.offset, v.cap
    return v, 0, json_slice_cap(len(v))
