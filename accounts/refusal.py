"""A service's refusal: the one shape every app's rule errors share (accounts is the lowest layer)."""


class Refusal(Exception):
    """A rule refused the request; nothing was changed.

    `message` says why in words: a page shows it beside `field`, the API answers it. `code` is the
    machine word for scripts. `field` names the input it is about (the service's argument name), or
    None: the whole request. `status` is the HTTP status the JSON API answers, with
    `{code, message, errors: {field: [message]}}`. A subclass may set `code` and `status` as class
    attributes: its defaults when the raiser gives none."""

    code: str = "invalid_request"
    status: int = 400

    def __init__(self, message: str, code: str | None = None, *, field: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
