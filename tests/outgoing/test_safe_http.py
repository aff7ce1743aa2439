"""The SSRF guard: an endpoint URL must be https (http only when DEBUG), and Roster never connects
to loopback, private, link-local, multicast or reserved addresses, checked on the address actually
connected to. Each refusal, on save (API 400 `unsafe_url`, the page beside the field) and on delivery."""

import socket

import pytest
import requests

from notifications import services as engine
from notifications.models import Notification
from outgoing import safe_http, services
from outgoing.selectors import Delivery
from tests.outgoing.receiver import start

pytestmark = pytest.mark.django_db

REFUSED = [
    ("https://127.0.0.1/hook", "loopback"),
    ("https://10.1.2.3/hook", "private network"),
    ("https://192.168.0.10/hook", "private network"),
    ("https://169.254.169.254/latest/meta-data", "link-local"),
    ("https://[::1]/hook", "loopback"),
    ("https://[::ffff:127.0.0.1]/hook", "loopback"),
    ("https://[::ffff:10.0.0.1]/hook", "private network"),
    ("https://0.0.0.0/hook", "unspecified"),
    ("https://224.0.0.1/hook", "multicast"),
    ("https://240.0.0.1/hook", "reserved"),
]


def fake_dns(monkeypatch, answers: dict[str, list[str]]):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [
                (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
                for ip in answers[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_an_address_inside_the_network_is_refused_on_save_with_why(admin_client, url, why):
    response = admin_client.post(
        "/api/webhook-endpoints", {"url": url, "events": ["rotation.handoff"]}, content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unsafe_url"
    assert why in body["message"]
    assert body["errors"]["url"] == [body["message"]]


def test_a_hostname_that_resolves_to_loopback_is_refused(org, monkeypatch):
    fake_dns(
        monkeypatch, {"hooks.example.com": ["93.184.216.34"], "sneaky.example.com": ["93.184.216.34", "127.0.0.1"]}
    )
    endpoint, _ = services.endpoint_create(
        organization=org, url="https://hooks.example.com/x", events=["rotation.handoff"]
    )
    assert endpoint.pk
    with pytest.raises(services.EndpointError) as refused:
        services.endpoint_create(organization=org, url="https://sneaky.example.com/x", events=["rotation.handoff"])
    assert refused.value.code == "unsafe_url"
    assert "sneaky.example.com resolves to 127.0.0.1 is a loopback address" in refused.value.message


def test_http_is_refused_unless_debug(org, settings):
    settings.DEBUG = False
    with pytest.raises(services.EndpointError) as refused:
        services.endpoint_create(organization=org, url="http://93.184.216.34/x", events=["rotation.handoff"])
    assert "https://" in refused.value.message
    settings.DEBUG = True
    assert services.endpoint_create(organization=org, url="http://93.184.216.34/x", events=["rotation.handoff"])


def test_the_allow_private_setting_lets_loopback_and_private_through_but_not_metadata(settings):
    settings.OUTGOING_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    assert safe_http.check_url("https://127.0.0.1/x")
    assert safe_http.check_url("https://10.0.0.5/x")
    with pytest.raises(safe_http.UnsafeUrl, match="link-local"):
        safe_http.check_url("https://169.254.169.254/x")


def test_dns_rebinding_is_caught_on_the_address_actually_connected_to(monkeypatch, settings):
    """Public when saved, loopback when delivering: the connection vets what it resolves and
    connects to that address, never to a second lookup's answer."""
    server, receiver = start()
    try:
        port = server.server_address[1]
        fake_dns(monkeypatch, {"rebind.example.com": ["127.0.0.1"]})
        settings.DEBUG = True
        with pytest.raises(safe_http.UnsafeUrl, match="loopback"):
            safe_http.post(f"http://rebind.example.com:{port}/hook", data=b"{}", headers={}, timeout=5)
        assert receiver.received == []
        settings.OUTGOING_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True  # the same call, allowed: it connects
        response = safe_http.post(f"http://rebind.example.com:{port}/hook", data=b"{}", headers={}, timeout=5)
        assert response.status_code == 204
        assert receiver.received[0].headers["Host"] == f"rebind.example.com:{port}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_delivery_to_an_address_that_became_unsafe_fails_without_retry(org, monkeypatch, settings):
    fake_dns(monkeypatch, {"hooks.example.com": ["93.184.216.34"]})
    endpoint, _ = services.endpoint_create(
        organization=org, url="https://hooks.example.com/x", events=["rotation.handoff"]
    )
    fake_dns(monkeypatch, {"hooks.example.com": ["10.0.0.7"]})
    ids = services.events_create(
        organization_id=org.pk, endpoints=[endpoint], event_id="evt_1", event_type="webhook.test", data={}
    )
    assert engine.notification_deliver(notification_id=ids[0]).status == "failed"
    row = Delivery(Notification.objects.get())
    assert (
        row.error
        == "Refused: hooks.example.com resolves to 10.0.0.7 is a private network address; Roster does not send webhooks there."
    )
    assert row.next_attempt_at is None


def test_a_redirect_is_not_followed(org, receiver):
    receiver.answers.append((302, {"Location": receiver.url + "/elsewhere"}))
    endpoint, _ = services.endpoint_create(organization=org, url=receiver.url, events=["rotation.handoff"])
    ids = services.events_create(
        organization_id=org.pk, endpoints=[endpoint], event_id="evt_1", event_type="webhook.test", data={}
    )
    assert engine.notification_deliver(notification_id=ids[0]).status == "failed"
    assert [r.path for r in receiver.received] == ["/hook"]
    row = Delivery(Notification.objects.get())
    assert (row.response_code, row.status) == (302, "failed")
    assert "does not follow redirects" in row.error


def test_no_proxy_from_the_environment_is_used(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://10.0.0.1:3128")
    with safe_http.session() as s:
        assert s.trust_env is False
        assert isinstance(s.get_adapter("https://x.example"), safe_http.SafeAdapter)
    assert requests  # the module under test is requests-based
