"""The lexer: Go 1.19's text/template/parse/lex.go, ported state for state.

The parser pulls items one at a time (Go ran the lexer in a goroutine behind a channel;
the sequence of items is the same). Positions are indexes into the Python string; the
parser turns them into Go's byte columns when it reports an error.
"""

from .formatting import go_is_print, quote_go

# Item types, in Go's order: everything after KEYWORD is a keyword.
ERROR = 0
BOOL = 1
CHAR = 2
CHAR_CONSTANT = 3
COMMENT = 4
COMPLEX = 5
ASSIGN = 6
DECLARE = 7
EOF = 8
FIELD = 9
IDENTIFIER = 10
LEFT_DELIM = 11
LEFT_PAREN = 12
NUMBER = 13
PIPE = 14
RAW_STRING = 15
RIGHT_DELIM = 16
RIGHT_PAREN = 17
SPACE = 18
STRING = 19
TEXT = 20
VARIABLE = 21
KEYWORD = 22
BLOCK = 23
BREAK = 24
CONTINUE = 25
DOT = 26
DEFINE = 27
ELSE = 28
END = 29
IF = 30
NIL = 31
RANGE = 32
TEMPLATE = 33
WITH = 34

KEYWORDS = {
    ".": DOT,
    "block": BLOCK,
    "break": BREAK,
    "continue": CONTINUE,
    "define": DEFINE,
    "else": ELSE,
    "end": END,
    "if": IF,
    "range": RANGE,
    "nil": NIL,
    "template": TEMPLATE,
    "with": WITH,
}

LEFT_DELIM_TEXT = "{{"
RIGHT_DELIM_TEXT = "}}"
LEFT_COMMENT = "/*"
RIGHT_COMMENT = "*/"
SPACE_CHARS = " \t\r\n"
TRIM_MARKER_LEN = 2  # the marker plus the space before or after it

_EOF = ""  # what next() returns at the end of the input


class Item:
    __slots__ = ("typ", "pos", "val", "line")

    def __init__(self, typ, pos, val, line):
        self.typ = typ
        self.pos = pos
        self.val = val
        self.line = line

    def __str__(self):
        # item.String() in Go: used in "unexpected %s in %s" messages.
        if self.typ == EOF:
            return "EOF"
        if self.typ == ERROR:
            return self.val
        if self.typ > KEYWORD:
            return f"<{self.val}>"
        if len(self.val) > 10:
            return quote_go(self.val, precision=10) + "..."
        return quote_go(self.val)

    def __repr__(self):
        return f"Item({self.typ}, {self.pos}, {self.val!r}, {self.line})"


def is_space(r):
    return r == " " or r == "\t" or r == "\r" or r == "\n"


def is_alphanumeric(r):
    # Go: r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) (digits are category Nd).
    return r == "_" or (r != "" and (r.isalpha() or r.isdecimal()))


def has_left_trim_marker(s, i):
    return len(s) - i >= 2 and s[i] == "-" and is_space(s[i + 1])


def has_right_trim_marker(s, i):
    return len(s) - i >= 2 and is_space(s[i]) and s[i + 1] == "-"


def format_rune_sharp_u(r):
    """Go's %#U of a rune: U+0041 'A', or U+0007 for an unprintable one."""
    code = ord(r)
    if go_is_print(r):
        return f"U+{code:04X} '{r}'"
    return f"U+{code:04X}"


class Lexer:
    """Produces the items of one template source, on demand."""

    def __init__(self, text, break_ok=True, continue_ok=True):
        self.input = text
        self.left = LEFT_DELIM_TEXT
        self.right = RIGHT_DELIM_TEXT
        self.pos = 0
        self.start = 0
        self.at_eof = False
        self.paren_depth = 0
        self.line = 1
        self.start_line = 1
        self.break_ok = break_ok
        self.continue_ok = continue_ok
        self.state = self.lex_text
        self.pending = []
        self.done_item = None

    # --- scanning primitives -------------------------------------------------------------

    def next(self):
        if self.pos >= len(self.input):
            self.at_eof = True
            return _EOF
        r = self.input[self.pos]
        self.pos += 1
        if r == "\n":
            self.line += 1
        return r

    def peek(self):
        r = self.next()
        self.backup()
        return r

    def backup(self):
        if not self.at_eof and self.pos > 0:
            self.pos -= 1
            if self.input[self.pos] == "\n":
                self.line -= 1

    def this_item(self, typ):
        item = Item(typ, self.start, self.input[self.start : self.pos], self.start_line)
        self.start = self.pos
        self.start_line = self.line
        return item

    def emit(self, typ):
        self.pending.append(self.this_item(typ))

    def ignore(self):
        self.line += self.input.count("\n", self.start, self.pos)
        self.start = self.pos
        self.start_line = self.line

    def accept(self, valid):
        r = self.next()
        if r != _EOF and r in valid:
            return True
        self.backup()
        return False

    def accept_run(self, valid):
        while True:
            r = self.next()
            if r == _EOF or r not in valid:
                break
        self.backup()

    def errorf(self, message):
        self.pending.append(Item(ERROR, self.start, message, self.start_line))
        return None

    def next_item(self):
        """The next item; after the end (or an error) the last item again."""
        while not self.pending:
            if self.state is None:
                return self.done_item
            self.state = self.state()
        item = self.pending.pop(0)
        if self.state is None and not self.pending:
            self.done_item = item
        return item

    # --- state functions -----------------------------------------------------------------

    def lex_text(self):
        x = self.input.find(self.left, self.pos)
        if x >= 0:
            self.pos = x
            trim_length = 0
            if has_left_trim_marker(self.input, self.pos + len(self.left)):
                text = self.input[self.start : self.pos]
                trim_length = len(text) - len(text.rstrip(SPACE_CHARS))
            self.pos -= trim_length
            if self.pos > self.start:
                self.line += self.input.count("\n", self.start, self.pos)
                self.emit(TEXT)
            self.pos += trim_length
            self.ignore()
            return self.lex_left_delim
        self.pos = len(self.input)
        if self.pos > self.start:
            self.line += self.input.count("\n", self.start, self.pos)
            self.emit(TEXT)
        self.emit(EOF)
        return None

    def at_right_delim(self):
        """(at a right delimiter, it has a trim marker)."""
        s, i = self.input, self.pos
        if has_right_trim_marker(s, i) and s.startswith(self.right, i + TRIM_MARKER_LEN):
            return True, True
        if s.startswith(self.right, i):
            return True, False
        return False, False

    def lex_left_delim(self):
        self.pos += len(self.left)
        trim_space = has_left_trim_marker(self.input, self.pos)
        after_marker = TRIM_MARKER_LEN if trim_space else 0
        if self.input.startswith(LEFT_COMMENT, self.pos + after_marker):
            self.pos += after_marker
            self.ignore()
            return self.lex_comment
        self.emit(LEFT_DELIM)
        self.pos += after_marker
        self.ignore()
        self.paren_depth = 0
        return self.lex_inside_action

    def lex_comment(self):
        self.pos += len(LEFT_COMMENT)
        i = self.input.find(RIGHT_COMMENT, self.pos)
        if i < 0:
            return self.errorf("unclosed comment")
        self.pos = i + len(RIGHT_COMMENT)
        delim, trim_space = self.at_right_delim()
        if not delim:
            return self.errorf("comment ends before closing delimiter")
        if trim_space:
            self.pos += TRIM_MARKER_LEN
        self.pos += len(self.right)
        if trim_space:
            rest = self.input[self.pos :]
            self.pos += len(rest) - len(rest.lstrip(SPACE_CHARS))
        self.ignore()
        return self.lex_text

    def lex_right_delim(self):
        trim_space = has_right_trim_marker(self.input, self.pos)
        if trim_space:
            self.pos += TRIM_MARKER_LEN
            self.ignore()
        self.pos += len(self.right)
        self.emit(RIGHT_DELIM)
        if trim_space:
            rest = self.input[self.pos :]
            self.pos += len(rest) - len(rest.lstrip(SPACE_CHARS))
            self.ignore()
        return self.lex_text

    def lex_inside_action(self):
        delim, _ = self.at_right_delim()
        if delim:
            if self.paren_depth == 0:
                return self.lex_right_delim
            return self.errorf("unclosed left paren")
        r = self.next()
        if r == _EOF:
            return self.errorf("unclosed action")
        if is_space(r):
            self.backup()  # Put the space back in case we have " -}}".
            return self.lex_space
        if r == "=":
            self.emit(ASSIGN)
        elif r == ":":
            if self.next() != "=":
                return self.errorf("expected :=")
            self.emit(DECLARE)
        elif r == "|":
            self.emit(PIPE)
        elif r == '"':
            return self.lex_quote
        elif r == "`":
            return self.lex_raw_quote
        elif r == "$":
            return self.lex_variable
        elif r == "'":
            return self.lex_char
        elif r == "." and self.pos < len(self.input) and not ("0" <= self.input[self.pos] <= "9"):
            return self.lex_field
        elif r == "." or r == "+" or r == "-" or "0" <= r <= "9":
            self.backup()
            return self.lex_number
        elif is_alphanumeric(r):
            self.backup()
            return self.lex_identifier
        elif r == "(":
            self.emit(LEFT_PAREN)
            self.paren_depth += 1
        elif r == ")":
            # Go 1.19 emits the paren before it complains, so the parser reports it.
            self.emit(RIGHT_PAREN)
            self.paren_depth -= 1
            if self.paren_depth < 0:
                return self.errorf(f"unexpected right paren {format_rune_sharp_u(r)}")
        elif r <= "\x7f" and r.isprintable():
            self.emit(CHAR)
        else:
            return self.errorf(f"unrecognized character in action: {format_rune_sharp_u(r)}")
        return self.lex_inside_action

    def lex_space(self):
        num_spaces = 0
        while True:
            r = self.peek()
            if not is_space(r):
                break
            self.next()
            num_spaces += 1
        # A trim-marked closing delimiter starts with a space: leave it to lex_right_delim.
        s, i = self.input, self.pos - 1
        if has_right_trim_marker(s, i) and s.startswith(self.right, i + TRIM_MARKER_LEN):
            self.backup()  # Before the space.
            if num_spaces == 1:
                return self.lex_right_delim
        self.emit(SPACE)
        return self.lex_inside_action

    def lex_identifier(self):
        while True:
            r = self.next()
            if is_alphanumeric(r):
                continue
            self.backup()
            word = self.input[self.start : self.pos]
            if not self.at_terminator():
                return self.errorf(f"bad character {format_rune_sharp_u(r)}")
            key = KEYWORDS.get(word, 0)
            if key > KEYWORD:
                if (key == BREAK and not self.break_ok) or (
                    key == CONTINUE and not self.continue_ok
                ):
                    self.emit(IDENTIFIER)
                else:
                    self.emit(key)
            elif word[0] == ".":
                self.emit(FIELD)
            elif word in ("true", "false"):
                self.emit(BOOL)
            else:
                self.emit(IDENTIFIER)
            return self.lex_inside_action

    def lex_field(self):
        return self.lex_field_or_variable(FIELD)

    def lex_variable(self):
        if self.at_terminator():  # Nothing interesting follows: "$".
            self.emit(VARIABLE)
            return self.lex_inside_action
        return self.lex_field_or_variable(VARIABLE)

    def lex_field_or_variable(self, typ):
        if self.at_terminator():  # Nothing interesting follows: "." or "$".
            self.emit(VARIABLE if typ == VARIABLE else DOT)
            return self.lex_inside_action
        while True:
            r = self.next()
            if not is_alphanumeric(r):
                self.backup()
                break
        if not self.at_terminator():
            return self.errorf(f"bad character {format_rune_sharp_u(r)}")
        self.emit(typ)
        return self.lex_inside_action

    def at_terminator(self):
        r = self.peek()
        if is_space(r):
            return True
        if r in (_EOF, ".", ",", "|", ":", ")", "("):
            return True
        return self.input.startswith(self.right, self.pos)

    def lex_char(self):
        while True:
            r = self.next()
            if r == "\\":
                r = self.next()
                if r != _EOF and r != "\n":
                    continue
                return self.errorf("unterminated character constant")
            if r == _EOF or r == "\n":
                return self.errorf("unterminated character constant")
            if r == "'":
                break
        self.emit(CHAR_CONSTANT)
        return self.lex_inside_action

    def lex_number(self):
        if not self.scan_number():
            return self.errorf(f"bad number syntax: {_quote(self.input[self.start : self.pos])}")
        sign = self.peek()
        if sign == "+" or sign == "-":
            # Complex: 1+2i. No spaces, must end in 'i'.
            if not self.scan_number() or self.input[self.pos - 1] != "i":
                text = self.input[self.start : self.pos]
                return self.errorf(f"bad number syntax: {_quote(text)}")
            self.emit(COMPLEX)
            return self.lex_inside_action
        self.emit(NUMBER)
        return self.lex_inside_action

    def scan_number(self):
        self.accept("+-")
        digits = "0123456789_"
        if self.accept("0"):
            # Note: a leading 0 does not mean octal in floats.
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        if len(digits) == 10 + 1 and self.accept("eE"):
            self.accept("+-")
            self.accept_run("0123456789_")
        if len(digits) == 16 + 6 + 1 and self.accept("pP"):
            self.accept("+-")
            self.accept_run("0123456789_")
        self.accept("i")  # imaginary?
        # The next thing mustn't be alphanumeric.
        if is_alphanumeric(self.peek()):
            self.next()
            return False
        return True

    def lex_quote(self):
        while True:
            r = self.next()
            if r == "\\":
                r = self.next()
                if r != _EOF and r != "\n":
                    continue
                return self.errorf("unterminated quoted string")
            if r == _EOF or r == "\n":
                return self.errorf("unterminated quoted string")
            if r == '"':
                break
        self.emit(STRING)
        return self.lex_inside_action

    def lex_raw_quote(self):
        while True:
            r = self.next()
            if r == _EOF:
                return self.errorf("unterminated raw quoted string")
            if r == "`":
                break
        self.emit(RAW_STRING)
        return self.lex_inside_action


_quote = quote_go
