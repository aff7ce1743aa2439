"""Project-wide request guards."""

from urllib.parse import unquote

from django.http import HttpResponseBadRequest


def reject_nul_characters(get_response):
    """A NUL character in the path or query string is a 400. PostgreSQL cannot store or compare
    text containing NUL, so any view that looked such a value up (an incident id, a filter) would
    fail with a 500; no legitimate Roster URL carries one."""

    def middleware(request):
        if "\x00" in request.path or "\x00" in unquote(request.META.get("QUERY_STRING", "")):
            return HttpResponseBadRequest("Bad Request: the URL contains a NUL character.", content_type="text/plain")
        return get_response(request)

    return middleware


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def request_metrics(get_response):
    """Time each request into `roster_http_request_duration_seconds`, labelled by the URL pattern it
    matched (`cal/<str:token>.ics`, never the path: feed, invitation, unsubscribe and webhook paths carry
    secrets), the method and the status. A path no pattern matched is `unmatched`."""
    from time import perf_counter

    from . import metrics

    def middleware(request):
        started = perf_counter()
        response = get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None and match.route else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        metrics.HTTP_REQUESTS.labels(route=route, method=method, status=str(response.status_code)).observe(
            perf_counter() - started
        )
        return response

    return middleware


def request_context(get_response):
    """Give each request an id for its log lines (and the tasks it queues), answered in `X-Request-ID`.
    A proxy's `X-Request-ID` is kept only behind a trusted proxy (`ROSTER_TRUSTED_PROXY_COUNT` above 0)
    and when it is a plain token; otherwise, as anyone can send the header, Roster makes its own.
    The context lasts until `request_finished`, so Django's own line for a 4xx/5xx answer (logged after
    the middleware) carries it too."""
    import uuid

    from django.conf import settings
    from django.core.signals import request_finished

    from . import logging as log_context

    request_finished.connect(log_context.clear_on_finish, dispatch_uid="roster.log_context.clear")

    def middleware(request):
        given = request.headers.get("X-Request-ID", "")
        trusted = settings.ROSTER_TRUSTED_PROXY_COUNT > 0 and log_context.REQUEST_ID.fullmatch(given)
        request_id = given if trusted else uuid.uuid4().hex
        request.request_id = request_id
        log_context.start(request_id=request_id)
        response = get_response(request)
        response["X-Request-ID"] = request_id
        return response

    return middleware
