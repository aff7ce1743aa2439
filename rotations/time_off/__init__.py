"""Time off (issue 25): a member records when they are away (Settings → Time off, /api/me/time-off).
Native rotations pass over their turns then (rotations.cadence.Order); PagerDuty-bound rotations get a
cover request for each of their shifts inside it (covers/time_off.py). The model is
rotations.models.TimeOff."""
