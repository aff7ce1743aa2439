"""What other apps hear about cover requests, after the change committed.

`cover_request_changed` is sent (config.signals.send_on_commit) by covers.services for each event:
"created", "taken", "cancelled", "expired", "expiring" (an hour before the start, nobody took it) and
"failed" (a take accepted while PagerDuty was busy was refused later: the request is open again).
Listeners connect in their AppConfig.ready(); they receive `event` and `cover_request_id`, re-read
the row and must not raise (a listener's failure is logged, never the caller's problem).
"""

import django.dispatch

cover_request_changed = django.dispatch.Signal()  # kwargs: event: str, cover_request_id: int

EVENTS = ("created", "taken", "cancelled", "expired", "expiring", "failed")
