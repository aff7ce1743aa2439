import pytest

from outgoing import services
from tests.outgoing import receiver as receiver_mod


@pytest.fixture
def local_network(settings):
    """Deliveries may reach 127.0.0.1 over http (the allow-private setting, and DEBUG for http)."""
    settings.OUTGOING_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    settings.DEBUG = True


@pytest.fixture
def receiver(local_network):
    server, rec = receiver_mod.start()
    yield rec
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint_and_secret(org, receiver):
    return services.endpoint_create(organization=org, url=receiver.url, events=["rotation.handoff", "incident.updated"])


from tests.notifications.conftest import rotation  # noqa: E402, F401  (Ana from 6 March, Bo the 7th)

# PagerDuty deliveries in (`endpoint` there is the organization's PagerDuty receiving address).
from tests.webhooks.conftest import deliver, endpoint, url, webhook_secret  # noqa: E402, F401
