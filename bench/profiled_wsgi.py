"""config.wsgi under cProfile, one profile per gunicorn worker written at exit (bench --profile)."""

import atexit
import cProfile
import os
import threading

from config.wsgi import application as _application

_profile = cProfile.Profile()
_lock = threading.Lock()


def application(environ, start_response):
    with _lock:
        _profile.enable()
        try:
            return _application(environ, start_response)
        finally:
            _profile.disable()


@atexit.register
def _dump() -> None:
    _profile.dump_stats(os.path.join(os.environ.get("BENCH_PROFILE_DIR", "/tmp"), f"web-{os.getpid()}.prof"))
