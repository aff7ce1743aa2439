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
