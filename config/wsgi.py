from django.core.wsgi import get_wsgi_application

from config.env import use_settings

use_settings()  # .env first, then production unless it or the environment names other settings
application = get_wsgi_application()
