"""bin/audit-deps: which pip-audit findings fail CI and which are only reported."""

import importlib.machinery
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "bin" / "audit-deps"


# One xdist worker runs the whole file: the module-scoped fixture is built once.
pytestmark = pytest.mark.xdist_group("test_audit_deps")


@pytest.fixture(scope="module")
def audit():
    loader = importlib.machinery.SourceFileLoader("audit_deps", str(SCRIPT))
    spec = importlib.util.spec_from_loader("audit_deps", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_a_vulnerability_with_a_fixed_release_fails_the_run(audit):
    verdict = audit.judge(
        {
            "dependencies": [
                {"name": "django", "version": "5.2.0", "vulns": [{"id": "PYSEC-1", "fix_versions": ["5.2.1"]}]},
                {"name": "requests", "version": "2.34.2", "vulns": []},
            ]
        }
    )
    assert verdict.failed
    assert verdict.fixable == ["django 5.2.0: PYSEC-1 (fixed in 5.2.1)"]
    assert verdict.audited == 2


def test_a_vulnerability_without_a_fix_is_reported_but_does_not_fail(audit):
    verdict = audit.judge(
        {"dependencies": [{"name": "celery", "version": "5.7.0", "vulns": [{"id": "GHSA-x", "fix_versions": []}]}]}
    )
    assert not verdict.failed
    assert verdict.unfixed == ["celery 5.7.0: GHSA-x (no fixed release yet)"]


def test_an_unreachable_service_reports_what_was_not_audited_without_failing(audit):
    verdict = audit.judge(
        {"dependencies": [{"name": "amqp", "skip_reason": "Dependency not found on PyPI and could not be audited"}]}
    )
    assert not verdict.failed
    assert verdict.not_audited == ["amqp"]
    assert verdict.audited == 0
