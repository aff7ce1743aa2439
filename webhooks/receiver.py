"""The V3 webhook receiver: `POST /webhooks/pagerduty/<endpoint id>/`. The decision lives in
intake.receive (a service that returns an Outcome); this view reads the request and maps the
outcome to HTTP."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import intake


@csrf_exempt
def receive(request, endpoint_id: str) -> HttpResponse:
    if request.method != "POST":
        response = JsonResponse({"message": "Only POST."}, status=405)
        response["Allow"] = "POST"
        return response

    def read_body() -> bytes | None:
        try:
            return request.body
        except RequestDataTooBig:
            return None

    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    outcome = intake.receive(endpoint_id, headers=request.headers, content_length=declared, read_body=read_body)
    if not outcome.found:
        return HttpResponse("Not Found", status=404, content_type="text/plain")
    response = JsonResponse({"message": outcome.message}, status=outcome.status)
    if outcome.retry_after is not None:
        response["Retry-After"] = str(outcome.retry_after)
    return response
