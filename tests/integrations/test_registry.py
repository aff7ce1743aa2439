"""Another provider is one module plus a card template: registering it puts its card on the page."""

import pytest

from integrations import registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def opsgenie(tmp_path, settings):
    (tmp_path / "opsgenie_card.html").write_text('<article id="opsgenie">{{ provider.name }}: {{ greeting }}</article>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}]
    provider = registry.Provider(
        key="opsgenie",
        name="Opsgenie",
        pitch="On-call from Opsgenie.",
        card_template="opsgenie_card.html",
        card_context=lambda request, org: {"greeting": f"hello {org.name}"},
        order=20,
    )
    registry.register(provider)
    yield provider
    registry._providers.pop("opsgenie")


def test_a_registered_provider_gets_a_card_after_pagerduty(admin_client, opsgenie):
    page = admin_client.get("/settings/integrations/").content.decode()
    assert '<article id="opsgenie">Opsgenie: hello Acme</article>' in page
    assert page.index('id="pagerduty"') < page.index('id="opsgenie"')
