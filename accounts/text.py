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
