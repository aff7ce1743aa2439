"""Calendar feeds, together: the iCalendar feeds and their tokens (`feeds.py`), the pages' sections and
the public `/cal/<token>.ics` view (`views.py`, `urls.py`), the JSON router (`api.py`), and revoking a
person's feeds when they leave (`rotations/owners.py`)."""
