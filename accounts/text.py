"""One rule for text a person types on one line (a rotation's, a token's, an organization's or a
person's name, an endpoint's description): no line break. Such text ends up in email subjects,
Slack topics, audit summaries and table cells, where a line break breaks things later; so every
service that takes one refuses it up front, with the message beside the field (or a 400 naming it).
"""

# Every character str.splitlines() breaks at.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def line_break_problem(value: object, *, what: str) -> str | None:
    """The message for `what` ("A rotation name") when `value` holds a line break, else None."""
    if isinstance(value, str) and any(char in LINE_BREAKS for char in value):
        return f"{what} must be on one line: remove the line break."
    return None


# Patterns (JSON Schema) for text that is trimmed before it is kept. Their "space" is exactly what
# str.strip() removes, spelled out: `\s` means less in a JSON Schema (ECMA-262) regex than in Python's.
WHITESPACE = r"\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
SPACE = f"[{WHITESPACE}]"
NOT_SPACE = f"[^{WHITESPACE}\\x00]"  # nor NUL (no text holds one)
_NOT_INSIDE = r"\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029\x00"  # LINE_BREAKS and NUL


def one_line_pattern(max_length: int | None = None, *, required: bool = True) -> str:
    """The rule above: no line break once trimmed, at most `max_length` characters once trimmed;
    `required`: at least one character once trimmed (else empty or only spaces is fine too)."""
    inside = "*" if max_length is None else f"{{0,{max_length - 2}}}"
    core = f"{NOT_SPACE}(?:[^{_NOT_INSIDE}]{inside}{NOT_SPACE})?"
    return f"^{SPACE}*{core}{SPACE}*$" if required else f"^{SPACE}*(?:{core})?{SPACE}*$"


def trimmed_pattern(max_length: int | None, *, at_least: int = 0, inside: str = r"[^\x00]") -> str:
    """Text of `at_least` to `max_length` (None: any number of) characters once trimmed, each matching
    `inside` (a class of characters that are not spaces when `at_least` > 0)."""
    return f"^{SPACE}*{inside}{{{at_least},{'' if max_length is None else max_length}}}{SPACE}*$"
