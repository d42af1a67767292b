"""The predefined functions of Go's text/template (funcs.go of Go 1.19).

Each takes the evaluated arguments and returns the result, or raises ``BuiltinError``
with Go's message; the executor reports it as ``error calling NAME: MESSAGE``. ``and``
and ``or`` short-circuit, so the executor evaluates them itself.
"""

from .formatting import sprint, sprintf, sprintln
from .values import (
    K_BOOL,
    K_COMPLEX,
    K_FLOAT,
    K_INT,
    K_INVALID,
    K_LIST,
    K_MAP,
    K_NIL,
    K_STRING,
    K_UINT8,
    MISSING,
    GoInt,
    GoSlice,
    GoUint8,
    NilMap,
    as_float,
    byte_len,
    bytes_of,
    is_true,
    kind,
    slice_backing,
    string_of,
    type_name,
)


class BuiltinError(Exception):
    """A builtin failed; the message is Go's (without ``error calling NAME:``)."""


class IfaceMarker:
    """An argument whose static type is ``interface {}`` (slice does not unwrap it)."""

    __slots__ = ()


IFACE = IfaceMarker()

# Parameter types: a reflect.Value (the value as it is), an interface{} (invalid becomes
# nil), a string (anything else is an error).
RV = "rv"
ANY = "any"
STR = "str"


def indirect_interface(v):
    return MISSING if v is None else v


# --- index, slice, len ---------------------------------------------------------------------


def _index_arg(index, cap):
    k = kind(index)
    if k == K_INT or k == K_UINT8:
        x = int(index)
    elif k == K_INVALID:
        raise BuiltinError("cannot index slice/array with nil")
    elif index is IFACE:
        raise BuiltinError("cannot index slice/array with type interface {}")
    else:
        raise BuiltinError(f"cannot index slice/array with type {type_name(index)}")
    if x < 0 or x > cap:
        raise BuiltinError(f"index out of range: {x}")
    return x


def _map_key(index):
    k = kind(index)
    if k == K_STRING:
        return index
    if k == K_INVALID:
        raise BuiltinError("value is nil; should be of type string")
    raise BuiltinError(f"value has type {type_name(index)}; should be string")


def go_index(item, *indexes):
    item = indirect_interface(item)
    if item is MISSING:
        raise BuiltinError("index of untyped nil")
    for index in indexes:
        index = indirect_interface(index)
        if item is None:
            raise BuiltinError("index of nil pointer")
        k = kind(item)
        if k == K_LIST:
            x = _index_arg(index, len(item))
            if x == len(item):  # Go 1.19 checks against the length inclusively
                raise BuiltinError("reflect: slice index out of range")
            item = item[x]
        elif k == K_STRING:
            b = bytes_of(item)
            x = _index_arg(index, len(b))
            if x == len(b):
                raise BuiltinError("reflect: string index out of range")
            item = GoUint8(b[x])
        elif k == K_MAP:
            item = item.get(_map_key(index))  # a missing key gives the nil interface
        else:
            raise BuiltinError(f"can't index item of type {type_name(item)}")
    return item


def go_slice(item, *indexes):
    item = indirect_interface(item)
    if item is MISSING:
        raise BuiltinError("slice of untyped nil")
    if len(indexes) > 3:
        raise BuiltinError(f"too many slice indexes: {len(indexes)}")
    k = kind(item)
    if k == K_STRING:
        if len(indexes) == 3:
            raise BuiltinError("cannot 3-index slice a string")
        b = bytes_of(item)
        cap = length = len(b)
    elif k == K_LIST:
        backing, offset, cap = slice_backing(item)
        length = len(item)
    else:
        raise BuiltinError(f"can't slice item of type {type_name(item)}")
    idx = [0, length, 0]
    for i, index in enumerate(indexes):
        idx[i] = _index_arg(index, cap)
    if idx[0] > idx[1]:
        raise BuiltinError(f"invalid slice index: {idx[0]} > {idx[1]}")
    if len(indexes) == 3 and idx[1] > idx[2]:
        raise BuiltinError(f"invalid slice index: {idx[1]} > {idx[2]}")
    if k == K_STRING:
        return string_of(b[idx[0] : idx[1]])
    start, end = offset + idx[0], offset + idx[1]
    result = GoSlice(backing[p] if p < len(backing) else None for p in range(start, end))
    result.backing = backing
    result.offset = start
    result.cap = (idx[2] if len(indexes) == 3 else cap) - idx[0]
    return result


def go_len(item):
    if item is None:
        raise BuiltinError("len of nil pointer")
    k = kind(item)
    if k == K_STRING:
        return GoInt(byte_len(item))
    if k == K_LIST or k == K_MAP:
        return GoInt(len(item))
    if k == K_INVALID:
        raise BuiltinError("reflect: call of reflect.Value.Type on zero Value")
    raise BuiltinError(f"len of type {type_name(item)}")


def go_call(fn, *args):
    fn = indirect_interface(fn)
    if fn is MISSING:
        raise BuiltinError("call of nil")
    # JSON data holds no functions.
    raise BuiltinError(f"non-function of type {type_name(fn)}")


def go_not(arg):
    return not is_true(indirect_interface(arg))


# --- comparisons ------------------------------------------------------------------------

_BAD_COMPARISON_TYPE = "invalid type for comparison"
_BAD_COMPARISON = "incompatible types for comparison"

_INVALID_KIND = 0
_BOOL_KIND = 1
_COMPLEX_KIND = 2
_INT_KIND = 3
_FLOAT_KIND = 4
_STRING_KIND = 5
_UINT_KIND = 6

_BASIC = {
    K_BOOL: _BOOL_KIND,
    K_INT: _INT_KIND,
    K_UINT8: _UINT_KIND,
    K_FLOAT: _FLOAT_KIND,
    K_COMPLEX: _COMPLEX_KIND,
    K_STRING: _STRING_KIND,
}


def _basic_kind(v):
    return _BASIC.get(kind(v), _INVALID_KIND)


def _basic_value(v, k):
    if k == _FLOAT_KIND:
        return as_float(v)
    if k == _INT_KIND or k == _UINT_KIND:
        return int(v)
    return v


def _is_nil(v):
    k = kind(v)
    return k == K_INVALID or k == K_NIL or type(v) is NilMap


def go_eq(arg1, *arg2):
    arg1 = indirect_interface(arg1)
    if not arg2:
        raise BuiltinError("missing argument for comparison")
    k1 = _basic_kind(arg1)
    for arg in arg2:
        arg = indirect_interface(arg)
        k2 = _basic_kind(arg)
        truth = False
        if k1 != k2:
            if k1 == _INT_KIND and k2 == _UINT_KIND:
                truth = int(arg1) >= 0 and int(arg1) == int(arg)
            elif k1 == _UINT_KIND and k2 == _INT_KIND:
                truth = int(arg) >= 0 and int(arg1) == int(arg)
            elif arg1 is not MISSING and arg is not MISSING:
                raise BuiltinError(_BAD_COMPARISON)
        elif k1 != _INVALID_KIND:
            truth = _basic_value(arg1, k1) == _basic_value(arg, k2)
        else:
            ka, kb = kind(arg1), kind(arg)
            if ka != kb and ka != K_INVALID and kb != K_INVALID:
                raise BuiltinError(
                    "non-comparable types "
                    + sprintf("%s: %v, %s: %v", [arg1, type_name(arg1), type_name(arg), arg])
                )
            if _is_nil(arg1) or _is_nil(arg):
                truth = _is_nil(arg) == _is_nil(arg1)
            else:
                # Maps and slices are not comparable.
                raise BuiltinError(
                    "non-comparable type " + sprintf("%s: %v", [arg, type_name(arg)])
                )
        if truth:
            return True
    return False


def go_ne(arg1, arg2):
    return not go_eq(arg1, arg2)


def go_lt(arg1, arg2):
    arg1 = indirect_interface(arg1)
    k1 = _basic_kind(arg1)
    if k1 == _INVALID_KIND:
        raise BuiltinError(_BAD_COMPARISON_TYPE)
    arg2 = indirect_interface(arg2)
    k2 = _basic_kind(arg2)
    if k2 == _INVALID_KIND:
        raise BuiltinError(_BAD_COMPARISON_TYPE)
    if k1 != k2:
        if k1 == _INT_KIND and k2 == _UINT_KIND:
            return int(arg1) < 0 or int(arg1) < int(arg2)
        if k1 == _UINT_KIND and k2 == _INT_KIND:
            return int(arg2) >= 0 and int(arg1) < int(arg2)
        raise BuiltinError(_BAD_COMPARISON)
    if k1 == _BOOL_KIND or k1 == _COMPLEX_KIND:
        raise BuiltinError(_BAD_COMPARISON_TYPE)
    return _basic_value(arg1, k1) < _basic_value(arg2, k2)


def go_le(arg1, arg2):
    return go_lt(arg1, arg2) or go_eq(arg1, arg2)


def go_gt(arg1, arg2):
    return not go_le(arg1, arg2)


def go_ge(arg1, arg2):
    return not go_lt(arg1, arg2)


# --- escapers and printers ----------------------------------------------------------------


def _eval_args(args):
    if len(args) == 1 and type(args[0]) is str:
        return args[0]
    return sprint(["<no value>" if a is None or a is MISSING else a for a in args])


_HTML = {
    "\0": "\ufffd",
    '"': "&#34;",
    "'": "&#39;",
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
}
_HTML_TABLE = str.maketrans(_HTML)


def html_escape(s):
    if not any(c in s for c in "'\"&<>\0"):
        return s
    return s.translate(_HTML_TABLE)


def go_html(*args):
    return html_escape(_eval_args(args))


_JS = {"\\": "\\\\", "'": "\\'", '"': '\\"', "<": "\\u003C", ">": "\\u003E"}
_JS.update({"&": "\\u0026", "=": "\\u003D"})


def js_escape(s):
    out = []
    for c in s:
        code = ord(c)
        if code < 0x80:
            special = _JS.get(c)
            if special is not None:
                out.append(special)
            elif code < 0x20:
                out.append(f"\\u00{code:02X}")
            else:
                out.append(c)
        elif "\udc80" <= c <= "\udcff":
            out.append(c)  # an invalid byte is written as it is
        elif "\ud800" <= c <= "\udfff":
            out.append("\ufffd")
        elif c.isprintable():
            out.append(c)
        else:
            out.append(f"\\u{code:04X}")
    return "".join(out)


def go_js(*args):
    s = _eval_args(args)
    if s.isascii() and not any(c in s for c in "\\'\"<>&=") and s.isprintable():
        return s
    return js_escape(s)


_URL_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def query_escape(s):
    out = []
    for byte in bytes_of(s):
        if byte in _URL_SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def go_urlquery(*args):
    return query_escape(_eval_args(args))


def make_printers(limit):
    """print, printf and println, refusing results longer than limit characters."""

    def go_print(*args):
        return sprint(list(args), limit)

    def go_printf(format_, *args):
        return sprintf(format_, list(args), limit)

    def go_println(*args):
        return sprintln(list(args), limit)

    return go_print, go_printf, go_println


# name: (parameter types, variadic, function). For a variadic function the last type is
# that of each variadic argument.
def builtin_table(limit):
    go_print, go_printf, go_println = make_printers(limit)
    return {
        "and": ((RV, RV), True, None),
        "call": ((RV, RV), True, go_call),
        "html": ((ANY,), True, go_html),
        "index": ((RV, RV), True, go_index),
        "slice": ((RV, RV), True, go_slice),
        "js": ((ANY,), True, go_js),
        "len": ((RV,), False, go_len),
        "not": ((RV,), False, go_not),
        "or": ((RV, RV), True, None),
        "print": ((ANY,), True, go_print),
        "printf": ((STR, ANY), True, go_printf),
        "println": ((ANY,), True, go_println),
        "urlquery": ((ANY,), True, go_urlquery),
        "eq": ((RV, RV), True, go_eq),
        "ge": ((RV, RV), False, go_ge),
        "gt": ((RV, RV), False, go_gt),
        "le": ((RV, RV), False, go_le),
        "lt": ((RV, RV), False, go_lt),
        "ne": ((RV, RV), False, go_ne),
    }


BUILTIN_NAMES = frozenset(builtin_table(None))
