# Every date and time Django writes itself (Django admin, a datetime without a format) says its zone.
DATETIME_FORMAT = "Y-m-d H:i T"
