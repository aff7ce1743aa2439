"""Every environment variable Roster reads is documented in .env.example, and nothing more."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("config", "accounts", "integrations", "rotations", "webhooks", "notifications", "outgoing", "ops")
READ = re.compile(r'env(?:\.(?:bool|int|float|list|db|email_url|str))?\(\s*"([A-Z][A-Z0-9_]+)"')
# Read by config/env.py's use_settings() through os.environ, before django-environ is set up; and
# PROMETHEUS_MULTIPROC_DIR, which prometheus-client itself reads.
READ_DIRECTLY = {"DJANGO_SETTINGS_MODULE", "ROSTER_ENV_FILE", "PROMETHEUS_MULTIPROC_DIR"}


def variables_read() -> set[str]:
    found = set(READ_DIRECTLY)
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            found |= set(READ.findall(path.read_text()))
    return found


def variables_documented() -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))


def test_every_variable_roster_reads_is_in_env_example():
    assert variables_read() - variables_documented() == set()


def test_env_example_documents_no_variable_roster_does_not_read():
    assert variables_documented() - variables_read() == set()
