"""docs/alerts.yml names only metrics that GET /metrics exports (promtool checks its syntax in make lint)."""

import re
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.django_db
RULES = Path(__file__).resolve().parents[2] / "docs" / "alerts.yml"


def exported(client, settings) -> set[str]:
    settings.METRICS_TOKEN = "t" * 32
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "t" * 32).content.decode()
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        if family.type == "counter":
            names.add(family.name + "_total")
        if family.type == "histogram":
            names |= {family.name + suffix for suffix in ("_bucket", "_count", "_sum")}
    return names


def test_every_metric_an_alert_rule_names_is_exported(client, settings):
    rules = [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]
    named = {name for rule in rules for name in re.findall(r"\b(roster_[a-z_]+)", rule["expr"])}
    assert len(rules) >= 6 and named
    assert named - exported(client, settings) == set()
