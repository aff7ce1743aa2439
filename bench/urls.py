"""The app's URLs plus one bench-only view, served only by bench/webhooks.py (bench/settings.py).

`store_only` is the least a durable receiver can do: one INSERT of the body through the ORM and a
202, with no signature check, no deduplication and no queue. It is the floor the receiver is
compared with, next to the trivial `/healthz` view. It comes after the app's URLs, as the
receiver's does, so both pay the same URL resolution.
"""

from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as app_urlpatterns
from webhooks.models import Delivery


@csrf_exempt
def store_only(request, organization_id: int):
    Delivery.objects.create(organization_id=organization_id, raw_body=request.body, received_at=timezone.now())
    return HttpResponse(status=202)


urlpatterns = [*app_urlpatterns, path("bench/store-only/<int:organization_id>", store_only)]
