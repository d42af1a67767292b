"""Go literals in templates: number, character and string constants.

Go 1.19's text/template/parse newNumber (node.go), with the strconv functions it relies
on (Unquote, UnquoteChar, ParseInt, ParseUint, ParseFloat), ported.
"""

from . import lexer as L
from .formatting import quote_go
from .nodes import NumberNode
from .values import GoInt, string_of

_SYNTAX = "invalid syntax"


def _unhex(c):
    if "0" <= c <= "9":
        return ord(c) - 48
    if "a" <= c <= "f":
        return ord(c) - 87
    if "A" <= c <= "F":
        return ord(c) - 55
    return -1


def unquote_char(s, i, quote):
    """strconv.UnquoteChar on s[i:]: (value, multibyte, new index); ValueError if invalid."""
    if i >= len(s):
        raise ValueError(_SYNTAX)
    c = s[i]
    if c == quote and quote in "'\"":
        raise ValueError(_SYNTAX)
    if ord(c) >= 0x80:
        if "\udc80" <= c <= "\udcff":
            return 0xFFFD, True, i + 1
        return ord(c), True, i + 1
    if c != "\\":
        return ord(c), False, i + 1
    if i + 1 >= len(s):
        raise ValueError(_SYNTAX)
    c = s[i + 1]
    i += 2
    simple = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92}
    if c in simple:
        return simple[c], False, i
    if c in "xuU":
        n = {"x": 2, "u": 4, "U": 8}[c]
        if len(s) - i < n:
            raise ValueError(_SYNTAX)
        v = 0
        for j in range(n):
            x = _unhex(s[i + j])
            if x < 0:
                raise ValueError(_SYNTAX)
            v = v << 4 | x
        i += n
        if c == "x":
            return v, False, i
        if v > 0x10FFFF or 0xD800 <= v <= 0xDFFF:
            raise ValueError(_SYNTAX)
        return v, True, i
    if "0" <= c <= "7":
        v = ord(c) - 48
        if len(s) - i < 2:
            raise ValueError(_SYNTAX)
        for j in range(2):
            x = ord(s[i + j]) - 48
            if x < 0 or x > 7:
                raise ValueError(_SYNTAX)
            v = (v << 3) | x
        i += 2
        if v > 255:
            raise ValueError(_SYNTAX)
        return v, False, i
    if c in "'\"":
        if c != quote:
            raise ValueError(_SYNTAX)
        return ord(c), False, i
    raise ValueError(_SYNTAX)


def unquote(s):
    """strconv.Unquote for the string literals the lexer produces."""
    if len(s) < 2:
        raise ValueError(_SYNTAX)
    quote = s[0]
    if quote != s[-1]:
        raise ValueError(_SYNTAX)
    body = s[1:-1]
    if quote == "`":
        if "`" in body:
            raise ValueError(_SYNTAX)
        return body.replace("\r", "")
    if quote != '"':
        raise ValueError(_SYNTAX)
    if "\n" in body:
        raise ValueError(_SYNTAX)
    if "\\" not in body and '"' not in body:
        return body
    buf = bytearray()
    i = 0
    while i < len(body):
        v, multibyte, i = unquote_char(body, i, '"')
        if v < 0x80 or not multibyte:
            buf.append(v)
        else:
            buf += chr(v).encode("utf-8")
    return string_of(bytes(buf))


def _underscore_ok(s):
    saw = "^"
    i = 0
    if s and s[0] in "+-":
        s = s[1:]
    hexa = False
    if len(s) >= 2 and s[0] == "0" and s[1].lower() in "box":
        i = 2
        saw = "0"
        hexa = s[1].lower() == "x"
    while i < len(s):
        c = s[i]
        if "0" <= c <= "9" or (hexa and "a" <= c.lower() <= "f"):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        else:
            if saw == "_":
                return False
            saw = "!"
        i += 1
    return saw != "_"


def parse_uint(s):
    """strconv.ParseUint(s, 0, 64), or None."""
    if not s:
        return None
    s0 = s
    base = 10
    if s[0] == "0":
        if len(s) >= 3 and s[1].lower() == "b":
            base, s = 2, s[2:]
        elif len(s) >= 3 and s[1].lower() == "o":
            base, s = 8, s[2:]
        elif len(s) >= 3 and s[1].lower() == "x":
            base, s = 16, s[2:]
        else:
            base, s = 8, s[1:]
    n = 0
    underscores = False
    for c in s:
        if c == "_":
            underscores = True
            continue
        d = _unhex(c) if c.isascii() else -1
        if d < 0 or d >= base:
            return None
        n = n * base + d
    if underscores and not _underscore_ok(s0):
        return None
    if n >= 1 << 64:
        return None
    return n


def parse_int(s):
    """strconv.ParseInt(s, 0, 64), or None."""
    if not s:
        return None
    neg = False
    if s[0] == "+":
        s = s[1:]
    elif s[0] == "-":
        neg = True
        s = s[1:]
    u = parse_uint(s)
    if u is None:
        return None
    if not neg and u >= 1 << 63:
        return None
    if neg and u > 1 << 63:
        return None
    return -u if neg else u


def parse_float(s):
    """strconv.ParseFloat(s, 64), or None on any error (syntax or range)."""
    i = 0
    n = len(s)
    if i < n and s[i] in "+-":
        i += 1
    low = s[i:].lower()
    if low in ("inf", "infinity", "nan"):
        return float(s)
    base = 10
    if i + 2 < n and s[i] == "0" and s[i + 1] in "xX":
        base = 16
        i += 2
    sawdot = sawdigits = underscores = False
    while i < n:
        c = s[i]
        if c == "_":
            underscores = True
        elif c == ".":
            if sawdot:
                break
            sawdot = True
        elif "0" <= c <= "9" or (base == 16 and "a" <= c.lower() <= "f"):
            sawdigits = True
        else:
            break
        i += 1
    if not sawdigits:
        return None
    exp_char = "e" if base == 10 else "p"
    if i < n and s[i].lower() == exp_char:
        i += 1
        if i >= n:
            return None
        if s[i] in "+-":
            i += 1
        if i >= n or not ("0" <= s[i] <= "9"):
            return None
        while i < n and ("0" <= s[i] <= "9" or s[i] == "_"):
            if s[i] == "_":
                underscores = True
            i += 1
    elif base == 16:
        return None
    if underscores and not _underscore_ok(s[:i]):
        return None
    if i != n:
        return None
    text = s.replace("_", "")
    try:
        f = float.fromhex(text) if base == 16 else float(text)
    except (OverflowError, ValueError):
        return None
    if f in (float("inf"), float("-inf")):
        return None
    return f


def _simplify_complex(n):
    n.is_float = n.complex128.imag == 0
    if n.is_float:
        n.float64 = n.complex128.real
        f = n.float64
        n.is_int = f == f and abs(f) != float("inf") and float(int(f)) == f and _fits_int64(f)
        if n.is_int:
            n.int64 = int(f)
        n.is_uint = (
            f == f and abs(f) != float("inf") and f >= 0 and float(int(f)) == f and f < 2.0**64
        )
        if n.is_uint:
            n.uint64 = int(f)


def _fits_int64(f):
    return -(2.0**63) <= f < 2.0**63


def new_number(tree, pos, text, typ):
    """newNumber: the number node, or ValueError with Go's message."""
    n = NumberNode(tree, pos, text)
    if typ == L.CHAR_CONSTANT:
        try:
            rune, _, i = unquote_char(text, 1, "'")
        except ValueError:
            raise ValueError(_SYNTAX) from None
        if text[i:] != "'":
            raise ValueError(f"malformed character constant: {text}")
        n.int64 = n.uint64 = rune
        n.is_int = n.is_uint = n.is_float = True
        n.float64 = float(rune)
        return n
    if typ == L.COMPLEX:
        cut = max(text.rfind("+", 1), text.rfind("-", 1))
        while cut > 0 and text[cut - 1] in "eEpP":
            cut = max(text.rfind("+", 1, cut), text.rfind("-", 1, cut))
        real = parse_float(text[:cut]) if cut > 0 else None
        imag = parse_float(text[cut:-1]) if cut > 0 else None
        if real is None or imag is None:
            raise ValueError(f"illegal number syntax: {quote_go(text)}")
        n.is_complex = True
        n.complex128 = complex(real, imag)
        _simplify_complex(n)
        return n
    if text.endswith("i"):
        f = parse_float(text[:-1])
        if f is not None:
            n.is_complex = True
            n.complex128 = complex(0, f)
            _simplify_complex(n)
            return n
    u = parse_uint(text)
    if u is not None:
        n.is_uint = True
        n.uint64 = u
    i = parse_int(text)
    if i is not None:
        n.is_int = True
        n.int64 = i
        if i == 0:
            n.is_uint = True
            n.uint64 = u or 0
    if n.is_int:
        n.is_float = True
        n.float64 = float(n.int64)
    elif n.is_uint:
        n.is_float = True
        n.float64 = float(n.uint64)
    else:
        f = parse_float(text)
        if f is not None:
            if not any(c in text for c in ".eEpP"):
                raise ValueError(f"integer overflow: {quote_go(text)}")
            n.is_float = True
            n.float64 = f
            if not n.is_int and _fits_int64(f) and float(int(f)) == f:
                n.is_int = True
                n.int64 = int(f)
            if not n.is_uint and 0 <= f < 2.0**64 and float(int(f)) == f:
                n.is_uint = True
                n.uint64 = int(f)
    if not n.is_int and not n.is_uint and not n.is_float:
        raise ValueError(f"illegal number syntax: {quote_go(text)}")
    return n


def ideal_constant(n):
    """What a number literal is when nothing says its type: ('value', v) or ('error', msg)."""
    text = n.text
    if n.is_complex:
        return "value", n.complex128
    is_hex_int = (
        len(text) > 2 and text[0] == "0" and text[1] in "xX" and not any(c in text for c in "pP")
    )
    is_rune = text.startswith("'")
    if n.is_float and not is_hex_int and not is_rune and any(c in text for c in ".eEpP"):
        return "value", n.float64
    if n.is_int:
        return "value", GoInt(n.int64)
    if n.is_uint:
        return "error", f"{text} overflows int"
    return "missing", None
