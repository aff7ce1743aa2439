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
