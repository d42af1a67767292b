"""Go's value formatting: strconv.FormatFloat, strconv.Quote and fmt's Sprint/Sprintf.

Only the types a template can hold are handled (see ``values``). The float digits come
from Python's ``repr`` (shortest round-trip digits, as Go's shortest formatting) and from
Python's ``%`` formatting (correctly rounded, as Go's fixed precision).
"""

import math
import struct

from .values import (
    K_BOOL,
    K_COMPLEX,
    K_FLOAT,
    K_INT,
    K_LIST,
    K_MAP,
    K_OTHER,
    K_STRING,
    K_UINT8,
    MISSING,
    NilMap,
    as_float,
    bytes_of,
    kind,
    type_name,
)

MAX_RUNE = 0x10FFFF
_LOWER_HEX = "0123456789abcdef"
_UPPER_HEX = "0123456789ABCDEF"


class FormatTooLarge(Exception):
    """A formatted value grew past the limit the caller set (see ``Printer.limit``)."""


# --- Unicode -------------------------------------------------------------------------------


def go_is_print(ch):
    """unicode.IsPrint: letters, marks, numbers, punctuation, symbols and ASCII space."""
    return ch == " " or ch.isprintable()


def _is_byte_escape(ch):
    return "\udc80" <= ch <= "\udcff"


def _is_surrogate(ch):
    return "\ud800" <= ch <= "\udfff"


# --- strconv.Quote ---------------------------------------------------------------------------


def _escaped_rune(ch, quote, ascii_only):
    if ch == quote or ch == "\\":
        return "\\" + ch
    code = ord(ch)
    if ascii_only:
        if code < 0x80 and go_is_print(ch):
            return ch
    elif go_is_print(ch):
        return ch
    special = _SIMPLE_ESCAPES.get(ch)
    if special is not None:
        return special
    if code < 0x20 or code == 0x7F:
        return "\\x" + _LOWER_HEX[code >> 4] + _LOWER_HEX[code & 0xF]
    if _is_surrogate(ch):
        code = 0xFFFD
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


_SIMPLE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def quote_go(s, precision=None, ascii_only=False, quote='"'):
    """strconv.Quote (or QuoteToASCII); ``precision`` truncates to that many runes first."""
    if precision is not None:
        s = s[:precision]
    out = [quote]
    for ch in s:
        if _is_byte_escape(ch):
            b = ord(ch) - 0xDC00
            out.append("\\x" + _LOWER_HEX[b >> 4] + _LOWER_HEX[b & 0xF])
        elif _is_surrogate(ch):
            out.append(_escaped_rune("\ufffd", quote, ascii_only))
        else:
            out.append(_escaped_rune(ch, quote, ascii_only))
    out.append(quote)
    return "".join(out)


def quote_rune(code, ascii_only=False):
    """strconv.QuoteRune (or QuoteRuneToASCII); invalid runes become U+FFFD."""
    if code > MAX_RUNE or code < 0 or 0xD800 <= code <= 0xDFFF:
        code = 0xFFFD
    return "'" + _escaped_rune(chr(code), "'", ascii_only) + "'"


def can_backquote(s):
    for ch in s:
        if _is_byte_escape(ch) or _is_surrogate(ch):
            return False
        if ch == "\ufeff":
            return False
        code = ord(ch)
        if (code < 0x20 and ch != "\t") or ch == "`" or code == 0x7F:
            return False
    return True


# --- strconv.FormatFloat ------------------------------------------------------------------


def _shortest_digits(f):
    """(digits, dp) with abs(f) = 0.digits * 10**dp, digits the shortest that round-trips."""
    r = repr(abs(f))
    if "e" in r:
        mant, exp = r.split("e")
        exp = int(exp)
    else:
        mant, exp = r, 0
    if "." in mant:
        ip, fp = mant.split(".")
    else:
        ip, fp = mant, ""
    digits = ip + fp
    dp = len(ip) + exp
    stripped = digits.lstrip("0")
    dp -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    if not digits:
        return "", 0
    return digits, dp


def _rounded_digits(f, ndigits):
    """(digits, dp) of abs(f) correctly rounded to ndigits significant digits (>= 1)."""
    text = f"{abs(f):.{ndigits - 1}e}"
    mant, exp = text.split("e")
    digits = mant.replace(".", "").rstrip("0")
    if not digits:
        return "", 0
    return digits, int(exp) + 1


def _fmt_e(neg, digits, dp, prec, ch):
    out = ["-" if neg else ""]
    nd = len(digits)
    out.append(digits[0] if nd else "0")
    if prec > 0:
        frac = digits[1 : prec + 1]
        out.append("." + frac + "0" * (prec - len(frac)))
    exp = dp - 1 if nd else 0
    sign = "-" if exp < 0 else "+"
    exp = abs(exp)
    out.append(ch + sign + (f"{exp:02d}" if exp < 100 else str(exp)))
    return "".join(out)


def _fmt_f(neg, digits, dp, prec):
    nd = len(digits)
    out = ["-" if neg else ""]
    if dp > 0:
        m = min(nd, dp)
        out.append(digits[:m] + "0" * (dp - m))
    else:
        out.append("0")
    if prec > 0:
        frac = []
        for i in range(1, prec + 1):
            j = dp + i - 1
            frac.append(digits[j] if 0 <= j < nd else "0")
        out.append("." + "".join(frac))
    return "".join(out)


def _fmt_g(neg, digits, dp, prec, shortest, ch):
    nd = len(digits)
    eprec = prec
    if eprec > nd and nd >= dp:
        eprec = nd
    if shortest:
        eprec = 6
    exp = dp - 1
    if exp < -4 or exp >= eprec:
        if prec > nd:
            prec = nd
        return _fmt_e(neg, digits, dp, prec - 1, "e" if ch == "g" else "E")
    if prec > dp:
        prec = nd
    return _fmt_f(neg, digits, dp, max(prec - dp, 0))


def format_float(f, fmt, prec):
    """strconv.FormatFloat(f, fmt, prec, 64)."""
    if f != f:
        return "NaN"
    if f == math.inf:
        return "+Inf"
    if f == -math.inf:
        return "-Inf"
    neg = math.copysign(1.0, f) < 0
    if fmt == "b":
        return _fmt_b(f)
    if fmt == "x" or fmt == "X":
        return _fmt_x(f, prec, fmt)
    if prec < 0:
        digits, dp = _shortest_digits(f)
        nd = len(digits)
        if fmt == "e" or fmt == "E":
            return _fmt_e(neg, digits, dp, max(nd - 1, 0), fmt)
        if fmt == "f":
            return _fmt_f(neg, digits, dp, max(nd - dp, 0))
        return _fmt_g(neg, digits, dp, nd, True, fmt)
    if fmt == "e" or fmt == "E":
        text = f"{f:.{prec}e}"
        return text if fmt == "e" else text.upper()
    if fmt == "f":
        return f"{f:.{prec}f}"
    if prec == 0:
        prec = 1
    if f == 0:
        digits, dp = "", 0
    else:
        digits, dp = _rounded_digits(f, prec)
    return _fmt_g(neg, digits, dp, prec, False, fmt)


def _float_bits(f):
    bits = struct.unpack(">Q", struct.pack(">d", f))[0]
    neg = bits >> 63
    exp = (bits >> 52) & 0x7FF
    mant = bits & ((1 << 52) - 1)
    if exp == 0:
        exp += 1
    else:
        mant |= 1 << 52
    exp += -1023
    return bool(neg), mant, exp


def _fmt_b(f):
    neg, mant, exp = _float_bits(f)
    exp -= 52
    return ("-" if neg else "") + str(mant) + "p" + ("+" if exp >= 0 else "-") + str(abs(exp))


def _fmt_x(f, prec, fmt):
    neg, mant, exp = _float_bits(f)
    if mant == 0:
        exp = 0
    # Shift digits so the leading 1 (if any) is at bit 1<<60.
    mant <<= 60 - 52
    while mant != 0 and mant & (1 << 60) == 0:
        mant <<= 1
        exp -= 1
    mask = (1 << 64) - 1
    if 0 <= prec < 15:
        shift = prec * 4
        extra = (mant << shift) & ((1 << 60) - 1)
        mant >>= 60 - shift
        if extra | (mant & 1) > 1 << 59:
            mant += 1
        mant <<= 60 - shift
        if mant & (1 << 61):
            mant >>= 1
            exp += 1
    hexdigits = _LOWER_HEX if fmt == "x" else _UPPER_HEX
    out = ["-" if neg else "", "0", fmt, "01"[(mant >> 60) & 1]]
    mant = (mant << 4) & mask
    if prec < 0 and mant != 0:
        out.append(".")
        while mant != 0:
            out.append(hexdigits[(mant >> 60) & 15])
            mant = (mant << 4) & mask
    elif prec > 0:
        out.append(".")
        for _ in range(prec):
            out.append(hexdigits[(mant >> 60) & 15])
            mant = (mant << 4) & mask
    out.append("p" if fmt == "x" else "P")
    out.append("-" if exp < 0 else "+")
    exp = abs(exp)
    out.append(f"{exp:02d}" if exp < 100 else str(exp))
    return "".join(out)


def format_float_v(f):
    """fmt's %v of a float64 (the shortest 'g' form, exponent from 1e+06 and below 1e-04)."""
    if f.is_integer() and -1e6 < f < 1e6:
        if f == 0 and math.copysign(1.0, f) < 0:
            return "-0"
        return str(int(f))
    return format_float(f, "g", -1)


# --- fmt ---------------------------------------------------------------------------------


def sprint_value(v):
    """fmt.Sprint(v) for one value: what an action prints."""
    t = type(v)
    if t is str:
        return v
    if t is float:
        return format_float_v(v)
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return format_float_v(as_float(v))
    p = Printer()
    p.print_arg(v, "v")
    return "".join(p.buf)


def sprint(args, limit=None):
    """fmt.Sprint: spaces between operands when neither is a string."""
    p = Printer(limit)
    prev_string = False
    for i, arg in enumerate(args):
        is_string = type(arg) is str
        if i > 0 and not is_string and not prev_string:
            p.buf.append(" ")
        p.print_arg(arg, "v")
        prev_string = is_string
    return "".join(p.buf)


def sprintln(args, limit=None):
    """fmt.Sprintln: spaces between all operands, and a newline."""
    p = Printer(limit)
    for i, arg in enumerate(args):
        if i > 0:
            p.buf.append(" ")
        p.print_arg(arg, "v")
    p.buf.append("\n")
    return "".join(p.buf)


def sprintf(format_, args, limit=None):
    """fmt.Sprintf."""
    p = Printer(limit)
    p.do_printf(format_, args)
    return "".join(p.buf)


_TOO_LARGE = 1_000_000


def _parsenum(s, start, end):
    """(num, isnum, newi): Go's parsenum, which gives up on numbers above 1e6."""
    if start >= end:
        return 0, False, end
    num = 0
    isnum = False
    i = start
    while i < end and "0" <= s[i] <= "9":
        if num > _TOO_LARGE:
            return 0, False, end  # Overflow; crazy long number most likely.
        num = num * 10 + ord(s[i]) - 48
        isnum = True
        i += 1
    return num, isnum, i


class Printer:
    """Go's fmt.pp: a buffer and the flags of the verb being printed."""

    __slots__ = (
        "buf",
        "limit",
        "size",
        "wid",
        "prec",
        "wid_present",
        "prec_present",
        "minus",
        "plus",
        "sharp",
        "space",
        "zero",
        "plus_v",
        "sharp_v",
        "arg",
        "value",
        "value_valid",
        "reordered",
        "good_arg_num",
    )

    def __init__(self, limit=None):
        self.buf = []
        self.limit = limit
        self.size = 0
        self.clear_flags()
        self.arg = None
        self.value = None
        self.value_valid = False
        self.reordered = False
        self.good_arg_num = True

    def clear_flags(self):
        self.wid = 0
        self.prec = 0
        self.wid_present = False
        self.prec_present = False
        self.minus = False
        self.plus = False
        self.sharp = False
        self.space = False
        self.zero = False
        self.plus_v = False
        self.sharp_v = False

    # -- output --

    def write(self, s):
        self.buf.append(s)
        if self.limit is not None:
            self.size += len(s)
            if self.size > self.limit:
                raise FormatTooLarge()

    def write_padding(self, n):
        if n <= 0:
            return
        self.write(("0" if self.zero else " ") * n)

    def pad(self, s):
        if not self.wid_present or self.wid == 0:
            self.write(s)
            return
        width = self.wid - len(s)
        if not self.minus:
            self.write_padding(width)
            self.write(s)
        else:
            self.write(s)
            self.write_padding(width)

    # -- basic types (fmt/format.go) --

    def fmt_boolean(self, v):
        self.pad("true" if v else "false")

    def fmt_unicode(self, u):
        prec = 4
        if self.prec_present and self.prec > 4:
            prec = self.prec
        digits = f"{u:X}"
        digits = "0" * (prec - len(digits)) + digits
        s = "U+" + digits
        if self.sharp and u <= MAX_RUNE and not (0xD800 <= u <= 0xDFFF):
            ch = chr(u)
            if go_is_print(ch):
                s += " '" + ch + "'"
        old_zero = self.zero
        self.zero = False
        self.pad(s)
        self.zero = old_zero

    def fmt_integer(self, u, base, is_signed, verb, digits):
        """u is the value as Go's uint64 bit pattern."""
        negative = is_signed and u >= 1 << 63
        if negative:
            u = (1 << 64) - u
        prec = 0
        if self.prec_present:
            prec = self.prec
            if prec == 0 and u == 0:
                old_zero = self.zero
                self.zero = False
                self.write_padding(self.wid)
                self.zero = old_zero
                return
        elif self.zero and self.wid_present:
            prec = self.wid
            if negative or self.plus or self.space:
                prec -= 1  # leave room for the sign
        if base == 10:
            s = str(u)
        elif base == 16:
            s = format(u, "x") if digits is _LOWER_HEX else format(u, "X")
        elif base == 8:
            s = format(u, "o")
        else:
            s = format(u, "b")
        if prec > len(s):
            s = "0" * (prec - len(s)) + s
        if self.sharp:
            if base == 2:
                s = "0b" + s
            elif base == 8:
                if s[0] != "0":
                    s = "0" + s
            elif base == 16:
                s = "0" + ("x" if digits is _LOWER_HEX else "X") + s
        if verb == "O":
            s = "0o" + s
        if negative:
            s = "-" + s
        elif self.plus:
            s = "+" + s
        elif self.space:
            s = " " + s
        old_zero = self.zero
        self.zero = False
        self.pad(s)
        self.zero = old_zero

    def truncate(self, s):
        if self.prec_present:
            return s[: self.prec]
        return s

    def fmt_s(self, s):
        self.pad(self.truncate(s))

    def fmt_sx(self, s, digits):
        b = bytes_of(s)
        length = len(b)
        if self.prec_present and self.prec < length:
            length = self.prec
        width = 2 * length
        if width > 0:
            if self.space:
                if self.sharp:
                    width *= 2
                width += length - 1
            elif self.sharp:
                width += 2
        else:
            if self.wid_present:
                self.write_padding(self.wid)
            return
        if self.wid_present and self.wid > width and not self.minus:
            self.write_padding(self.wid - width)
        x = "X" if digits is _UPPER_HEX else "x"
        out = []
        if self.sharp:
            out.append("0" + x)
        for i in range(length):
            if self.space and i > 0:
                out.append(" ")
                if self.sharp:
                    out.append("0" + x)
            c = b[i]
            out.append(digits[c >> 4] + digits[c & 0xF])
        self.write("".join(out))
        if self.wid_present and self.wid > width and self.minus:
            self.write_padding(self.wid - width)

    def fmt_q(self, s):
        s = self.truncate(s)
        if self.sharp and can_backquote(s):
            self.pad("`" + s + "`")
            return
        self.pad(quote_go(s, ascii_only=self.plus))

    def fmt_c(self, u):
        if u > MAX_RUNE or 0xD800 <= u <= 0xDFFF:
            u = 0xFFFD
        self.pad(chr(u))

    def fmt_qc(self, u):
        if u > MAX_RUNE:
            u = 0xFFFD
        self.pad(quote_rune(u, ascii_only=self.plus))

    def fmt_float(self, v, verb, prec):
        if self.prec_present:
            prec = self.prec
        num = format_float(v, verb, prec)
        if num[0] in "-+":
            sign, num = num[0], num[1:]
        else:
            sign = "+"
        if self.space and sign == "+" and not self.plus:
            sign = " "
        if num[0] == "I" or num[0] == "N":
            old_zero = self.zero
            self.zero = False
            if num[0] == "N" and not self.space and not self.plus:
                self.pad(num)
            else:
                self.pad(sign + num)
            self.zero = old_zero
            return
        if self.sharp and verb != "b":
            num = self._sharp_float(num, verb, prec)
        if self.plus or sign != "+":
            full = sign + num
            if self.zero and self.wid_present and self.wid > len(full):
                self.write(sign)
                self.write_padding(self.wid - len(full))
                self.write(num)
                return
            self.pad(full)
            return
        self.pad(num)

    def _sharp_float(self, num, verb, prec):
        digits = 0
        if verb in ("v", "g", "G", "x"):
            digits = prec
            if digits == -1:
                digits = 6
        tail = ""
        has_decimal_point = False
        saw_nonzero = False
        i = 0
        while i < len(num):
            c = num[i]
            if c == ".":
                has_decimal_point = True
            elif c in "pP":
                tail = num[i:]
                num = num[:i]
                break
            elif c in "eE" and verb not in ("x", "X"):
                tail = num[i:]
                num = num[:i]
                break
            else:
                if c != "0":
                    saw_nonzero = True
                if saw_nonzero:
                    digits -= 1
            i += 1
        if not has_decimal_point:
            if len(num) == 1 and num[0] == "0":
                digits -= 1
            num += "."
        if digits > 0:
            num += "0" * digits
        return num + tail

    # -- printing by type (fmt/print.go) --

    def bad_verb(self, verb):
        self.write("%!" + verb + "(")
        if self.arg is not None:
            self.write(type_name(self.arg) + "=")
            self.print_arg(self.arg, "v")
        elif self.value_valid:
            self.write(type_name(self.value) + "=")
            self.print_value(self.value, "v", 0)
        else:
            self.write("<nil>")
        self.write(")")

    def print_bool(self, v, verb):
        if verb == "t" or verb == "v":
            self.fmt_boolean(v)
        else:
            self.bad_verb(verb)

    def print_integer(self, u, is_signed, verb):
        if verb == "v":
            if self.sharp_v and not is_signed:
                sharp = self.sharp
                self.sharp = True
                self.fmt_integer(u, 16, False, "v", _LOWER_HEX)
                self.sharp = sharp
            else:
                self.fmt_integer(u, 10, is_signed, verb, _LOWER_HEX)
        elif verb == "d":
            self.fmt_integer(u, 10, is_signed, verb, _LOWER_HEX)
        elif verb == "b":
            self.fmt_integer(u, 2, is_signed, verb, _LOWER_HEX)
        elif verb == "o" or verb == "O":
            self.fmt_integer(u, 8, is_signed, verb, _LOWER_HEX)
        elif verb == "x":
            self.fmt_integer(u, 16, is_signed, verb, _LOWER_HEX)
        elif verb == "X":
            self.fmt_integer(u, 16, is_signed, verb, _UPPER_HEX)
        elif verb == "c":
            self.fmt_c(u)
        elif verb == "q":
            self.fmt_qc(u)
        elif verb == "U":
            self.fmt_unicode(u)
        else:
            self.bad_verb(verb)

    def print_float(self, v, verb):
        if verb == "v":
            self.fmt_float(v, "g", -1)
        elif verb in ("b", "g", "G", "x", "X"):
            self.fmt_float(v, verb, -1)
        elif verb in ("f", "e", "E"):
            self.fmt_float(v, verb, 6)
        elif verb == "F":
            self.fmt_float(v, "f", 6)
        else:
            self.bad_verb(verb)

    def print_complex(self, v, verb):
        if verb in ("v", "b", "g", "G", "x", "X", "f", "F", "e", "E"):
            old_plus = self.plus
            self.write("(")
            self.print_float(v.real, verb)
            self.plus = True
            self.print_float(v.imag, verb)
            self.write("i)")
            self.plus = old_plus
        else:
            self.bad_verb(verb)

    def print_string(self, v, verb):
        if verb == "v":
            if self.sharp_v:
                self.fmt_q(v)
            else:
                self.fmt_s(v)
        elif verb == "s":
            self.fmt_s(v)
        elif verb == "x":
            self.fmt_sx(v, _LOWER_HEX)
        elif verb == "X":
            self.fmt_sx(v, _UPPER_HEX)
        elif verb == "q":
            self.fmt_q(v)
        else:
            self.bad_verb(verb)

    def print_arg(self, arg, verb):
        self.arg = arg
        self.value = None
        self.value_valid = False
        if arg is None or arg is MISSING:
            self.arg = None
            if verb == "T" or verb == "v":
                self.pad("<nil>")
            else:
                self.bad_verb(verb)
            return
        if verb == "T":
            self.fmt_s(type_name(arg))
            return
        if verb == "p":
            self.fmt_pointer(arg, verb)
            return
        self._print_basic(arg, verb, 0)

    def _print_basic(self, v, verb, depth):
        k = kind(v)
        if k == K_STRING:
            self.print_string(v, verb)
        elif k == K_FLOAT:
            self.print_float(as_float(v), verb)
        elif k == K_BOOL:
            self.print_bool(v, verb)
        elif k == K_INT:
            self.print_integer(int(v) & ((1 << 64) - 1), True, verb)
        elif k == K_UINT8:
            self.print_integer(int(v), False, verb)
        elif k == K_COMPLEX:
            self.print_complex(v, verb)
        elif k == K_LIST or k == K_MAP:
            self.arg = None
            self.value = v
            self.value_valid = True
            self._print_composite(v, k, verb, depth)
        elif k == K_OTHER:
            self.write("?" + type(v).__name__ + "?")
        else:  # nil inside a container
            self.write("interface {}(nil)" if self.sharp_v else "<nil>")

    def print_value(self, v, verb, depth):
        """printValue: v is a concrete value, or None for a nil interface in a container."""
        if v is None or v is MISSING:
            if depth == 0:
                self.write("<invalid reflect.Value>")
            else:
                self.write("interface {}(nil)" if self.sharp_v else "<nil>")
            return
        self.arg = None
        self.value = v
        self.value_valid = True
        self._print_basic(v, verb, depth)

    def _print_composite(self, v, k, verb, depth):
        # Iterative, with an explicit stack: JSON data may nest deeper than Python's stack.
        stack = [(v, depth)]
        while stack:
            item = stack.pop()
            if type(item) is str:
                self.write(item)
                continue
            val, d = item
            k = kind(val)
            if k != K_LIST and k != K_MAP:
                self.print_value(val, verb, d)
                continue
            parts = []
            if k == K_MAP:
                if self.sharp_v:
                    if type(val) is NilMap:
                        stack.append("map[string]interface {}(nil)")
                        continue
                    parts.append("map[string]interface {}{")
                else:
                    parts.append("map[")
                for i, key in enumerate(sorted(val)):
                    if i > 0:
                        parts.append(", " if self.sharp_v else " ")
                    parts.append((key, d + 1))
                    parts.append(":")
                    parts.append((val[key], d + 1))
                parts.append("}" if self.sharp_v else "]")
            else:
                parts.append("[]interface {}{" if self.sharp_v else "[")
                for i, elem in enumerate(val):
                    if i > 0:
                        parts.append(", " if self.sharp_v else " ")
                    parts.append((elem, d + 1))
                parts.append("}" if self.sharp_v else "]")
            parts.reverse()
            stack.extend(parts)

    def fmt_pointer(self, arg, verb):
        k = kind(arg)
        if k != K_LIST and k != K_MAP:
            self.bad_verb(verb)
            return
        # Go prints the address of the backing array; a Python program has none to
        # offer, so print a fixed, plausible one (a documented difference).
        sharp = self.sharp
        self.sharp = not sharp
        self.fmt_integer(0xC000010000, 16, False, "v", _LOWER_HEX)
        self.sharp = sharp

    # -- Printf --

    def _arg_number(self, arg_num, format_, i, num_args):
        if len(format_) <= i or format_[i] != "[":
            return arg_num, i, False
        self.reordered = True
        index, wid, ok = _parse_arg_number(format_[i:])
        if ok and 0 <= index < num_args:
            return index, i + wid, True
        self.good_arg_num = False
        return arg_num, i + wid, ok

    def do_printf(self, format_, a):
        end = len(format_)
        arg_num = 0
        after_index = False
        self.reordered = False
        i = 0
        while i < end:
            self.good_arg_num = True
            lasti = i
            j = format_.find("%", i)
            i = end if j < 0 else j
            if i > lasti:
                self.write(format_[lasti:i])
            if i >= end:
                break
            i += 1  # the %
            self.clear_flags()
            simple = False
            while i < end:
                c = format_[i]
                if c == "#":
                    self.sharp = True
                elif c == "0":
                    self.zero = not self.minus  # Only allow zero padding to the left.
                elif c == "+":
                    self.plus = True
                elif c == "-":
                    self.minus = True
                    self.zero = False  # Do not pad with zeros to the right.
                elif c == " ":
                    self.space = True
                else:
                    if "a" <= c <= "z" and arg_num < len(a):
                        if c == "v":
                            self.sharp_v = self.sharp
                            self.sharp = False
                            self.plus_v = self.plus
                            self.plus = False
                        self.print_arg(a[arg_num], c)
                        arg_num += 1
                        i += 1
                        simple = True
                    break
                i += 1
            if simple:
                continue

            arg_num, i, after_index = self._arg_number(arg_num, format_, i, len(a))

            if i < end and format_[i] == "*":
                i += 1
                self.wid, self.wid_present, arg_num = _int_from_arg(a, arg_num)
                if not self.wid_present:
                    self.write("%!(BADWIDTH)")
                if self.wid < 0:
                    self.wid = -self.wid
                    self.minus = True
                    self.zero = False
                after_index = False
            else:
                self.wid, self.wid_present, i = _parsenum(format_, i, end)
                if after_index and self.wid_present:
                    self.good_arg_num = False

            if i + 1 < end and format_[i] == ".":
                i += 1
                if after_index:
                    self.good_arg_num = False
                arg_num, i, after_index = self._arg_number(arg_num, format_, i, len(a))
                if i < end and format_[i] == "*":
                    i += 1
                    self.prec, self.prec_present, arg_num = _int_from_arg(a, arg_num)
                    if self.prec < 0:
                        self.prec = 0
                        self.prec_present = False
                    if not self.prec_present:
                        self.write("%!(BADPREC)")
                    after_index = False
                else:
                    self.prec, self.prec_present, i = _parsenum(format_, i, end)
                    if not self.prec_present:
                        self.prec = 0
                        self.prec_present = True

            if not after_index:
                arg_num, i, after_index = self._arg_number(arg_num, format_, i, len(a))

            if i >= end:
                self.write("%!(NOVERB)")
                break

            verb = format_[i]
            i += 1

            if verb == "%":
                self.write("%")
            elif not self.good_arg_num:
                self.write("%!" + verb + "(BADINDEX)")
            elif arg_num >= len(a):
                self.write("%!" + verb + "(MISSING)")
            else:
                if verb == "v":
                    self.sharp_v = self.sharp
                    self.sharp = False
                    self.plus_v = self.plus
                    self.plus = False
                self.print_arg(a[arg_num], verb)
                arg_num += 1

        if not self.reordered and arg_num < len(a):
            self.clear_flags()
            self.write("%!(EXTRA ")
            for n, arg in enumerate(a[arg_num:]):
                if n > 0:
                    self.write(", ")
                if arg is None or arg is MISSING:
                    self.write("<nil>")
                else:
                    self.write(type_name(arg) + "=")
                    self.print_arg(arg, "v")
            self.write(")")


def _parse_arg_number(format_):
    """(index, wid, ok) for a bracketed argument number at format_[0]."""
    if len(format_) < 3:
        return 0, 1, False
    for i in range(1, len(format_)):
        if format_[i] == "]":
            width, ok, newi = _parsenum(format_, 1, i)
            if not ok or newi != i:
                return 0, i + 1, False
            return width - 1, i + 1, True
    return 0, 1, False


def _int_from_arg(a, arg_num):
    """(num, is_int, new_arg_num): a '*' width or precision must be an integer."""
    num, is_int, new_arg_num = 0, False, arg_num
    if arg_num < len(a):
        v = a[arg_num]
        k = kind(v)
        if k == K_INT or k == K_UINT8:
            num, is_int = int(v), True
        new_arg_num = arg_num + 1
        if num > _TOO_LARGE or num < -_TOO_LARGE:
            num, is_int = 0, False
    return num, is_int, new_arg_num
