"""The SSRF guard: an endpoint URL must be https (http only when DEBUG), and Roster never connects
to loopback, private, link-local, multicast, reserved, 6to4 or Azure platform addresses, checked on the
address actually connected to, nor to a port outside OUTGOING_WEBHOOKS_ALLOWED_PORTS. Each refusal, on
save (API 400 `unsafe_url`, the page beside the field) and on delivery. A receiver's answer costs a
worker at most 64 KiB."""

import socket
import time
import tracemalloc

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
    ("https://[2002:7f00:1::]/hook", "6to4"),  # 127.0.0.1 inside
    ("https://[2002:5db8:d822::1]/hook", "6to4"),  # a public IPv4 inside: the whole range is refused
    ("https://168.63.129.16/hook", "Azure"),
    ("https://93.184.216.34:8443/hook", "Port 8443 is not allowed"),
    ("https://93.184.216.34:22/hook", "Port 22 is not allowed"),
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
    assert response.status_code == 409  # where the URL leads is the server's call, not the request's shape
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
    # What Roster's own DNS answered is not told: it maps the server's network for anyone.
    assert refused.value.message == (
        "sneaky.example.com points to a private or reserved address; Roster does not send webhooks there."
    )


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
    assert safe_http.check_url("https://10.0.0.5:9000/x")  # and any port
    with pytest.raises(safe_http.UnsafeUrl, match="link-local"):
        safe_http.check_url("https://169.254.169.254/x")
    with pytest.raises(safe_http.UnsafeUrl, match="Azure"):
        safe_http.check_url("https://168.63.129.16/x")
    with pytest.raises(safe_http.UnsafeUrl, match="6to4"):
        safe_http.check_url("https://[2002:7f00:1::]/x")


def test_only_the_allowed_ports_the_schemes_default_included(settings):
    settings.DEBUG = True
    assert safe_http.check_url("https://93.184.216.34/x")  # 443
    assert safe_http.check_url("http://93.184.216.34/x")  # 80
    with pytest.raises(
        safe_http.UnsafeUrl, match="Port 8080 is not allowed: Roster sends webhooks only to port 443 and 80"
    ):
        safe_http.check_url("http://93.184.216.34:8080/x")
    settings.OUTGOING_WEBHOOKS_ALLOWED_PORTS = [8443]
    assert safe_http.check_url("https://93.184.216.34:8443/x")
    with pytest.raises(safe_http.UnsafeUrl, match="Port 443 is not allowed"):
        safe_http.check_url("https://93.184.216.34/x")  # the default port is checked too


def test_a_port_refused_on_delivery_fails_it_without_connecting(org, receiver, settings):
    """The endpoint was saved while private networks (and so any port) were allowed; now they are not."""
    endpoint, _ = services.endpoint_create(organization=org, url=receiver.url, events=["rotation.handoff"])
    settings.OUTGOING_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    ids = services.events_create(
        organization_id=org.pk, endpoints=[endpoint], event_id="evt_1", event_type="webhook.test", data={}
    )
    assert engine.notification_deliver(notification_id=ids[0]).status == "failed"
    assert receiver.received == []
    assert Delivery(Notification.objects.get()).error.startswith(
        f"Refused: Port {receiver.url.split(':')[2].split('/')[0]} is not allowed"
    )


def test_dns_rebinding_is_caught_on_the_address_actually_connected_to(monkeypatch, settings):
    """Public when saved, loopback when delivering: the connection vets what it resolves and
    connects to that address, never to a second lookup's answer."""
    server, receiver = start()
    try:
        port = server.server_address[1]
        fake_dns(monkeypatch, {"rebind.example.com": ["127.0.0.1"]})
        settings.DEBUG = True
        settings.OUTGOING_WEBHOOKS_ALLOWED_PORTS = [port]
        with pytest.raises(safe_http.UnsafeUrl, match="points to a private or reserved address"):
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
        == "Refused: hooks.example.com points to a private or reserved address; Roster does not send webhooks there."
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


def test_a_huge_answer_leaves_the_worker_s_memory_flat(org, receiver):
    """A receiver answering 200 MB: the worker reads 64 KiB, keeps it, closes the connection; the
    status decides. Measured with tracemalloc (every bytes object a read makes is counted)."""
    size = 200 * 1024 * 1024
    receiver.stream_bytes = size
    endpoint, _ = services.endpoint_create(organization=org, url=receiver.url, events=["rotation.handoff"])
    ids = services.events_create(
        organization_id=org.pk, endpoints=[endpoint], event_id="evt_1", event_type="webhook.test", data={}
    )
    tracemalloc.start()
    try:
        started = time.monotonic()
        outcome = engine.notification_deliver(notification_id=ids[0]).status
        took = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert outcome == "sent"
    assert peak < 20 * 1024 * 1024, f"sending took {peak / 2**20:.0f} MB"
    assert took < 5
    row = Notification.objects.get()
    assert row.response_code == 200
    assert len(row.response_body.encode()) == safe_http.MAX_RESPONSE_BYTES == 64 * 1024
    assert row.response_body.startswith("roster! roster! ")
    time.sleep(0.2)  # the receiver notices the closed connection
    assert receiver.streamed < size / 10  # the rest was never read: the connection was closed
