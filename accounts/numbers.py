"""One rule for a whole number a JSON body sends: JSON Schema's `type: integer` counts 20059.0 as one
(the API describes whole numbers so), so every service that takes one reads a float with no fraction
as that int; a string, true/false or 1.5 stays what it is, for the caller to refuse."""

from typing import Any


def whole(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
