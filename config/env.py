"""One place that reads the environment (django-environ).

Every variable is documented in `.env.example`. A `.env` file beside manage.py is read if present
(the run command writes one with a development encryption key).
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.smart_cast = False

_dotenv = BASE_DIR / ".env"
if _dotenv.exists():
    environ.Env.read_env(str(_dotenv), overwrite=False)
