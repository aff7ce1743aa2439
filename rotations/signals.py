"""What rotations tells the apps above it, after the change committed (config.signals.send_on_commit).

- `handoff_recorded(handoff_id)`: a new Handoff was inserted (never for one already recorded).
- `shifts_changed(rotation_ids)`: a PagerDuty sync (or a cover request's override) changed these
  rotations' stored shifts.
"""

from django.dispatch import Signal

handoff_recorded = Signal()  # kwargs: handoff_id: int
shifts_changed = Signal()  # kwargs: rotation_ids: list[int]
