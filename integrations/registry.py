"""The provider registry: what Settings → Integrations shows.

A provider (PagerDuty today; Opsgenie or Google Calendar tomorrow) is one package under
`integrations/<provider>/` that registers itself from its AppConfig.ready():

    registry.register(Provider(key="pagerduty", name="PagerDuty", ...))

Other apps plug into a provider without the provider importing them:
- `register_card_section`: a section of the provider's card (the webhook URL, bound rotations);
- `register_disconnect_hook`: what a disconnect does to the app's rows (rotations unbind), and
  the line the disconnect dialog shows about it. It runs inside the provider's disconnect
  transaction, after every network call: a hook does database work only;
So the page never imports a provider by name. (Read-only Django admin inlines on an organization
go through `accounts.admin.register_organization_inline`.)
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.template.loader import render_to_string

from accounts.audit import audit_recent


@dataclass(frozen=True)
class Disconnect:
    """A provider's Disconnect dialog: its form (a class, called with no data) and
    `warnings(organization)`, what a disconnect will affect."""

    form: Callable[[], object]
    warnings: Callable[[object], list[str]]


@dataclass(frozen=True)
class Provider:
    key: str
    name: str
    pitch: str
    card_template: str
    # (request, organization) -> dict of context for the card template; the connection under `prefix`
    card_context: Callable[[HttpRequest, object], dict]
    order: int = 100
    # With a Disconnect, the card also gets `<prefix>_audit` (its last five audit events),
    # `<prefix>_disconnect_form` and `<prefix>_disconnect_warnings` (when connected).
    prefix: str = ""
    disconnect: Disconnect | None = None
    # () -> the addresses its card's sign-in forms redirect to (OAuth authorize pages): the page's
    # Content-Security-Policy `form-action` allows their origins beside 'self'.
    sign_in_urls: Callable[[], list[str]] | None = None


@dataclass(frozen=True)
class CardSection:
    template: str
    context: Callable[[HttpRequest, object], dict]
    order: int = 100


@dataclass(frozen=True)
class DisconnectHook:
    # (organization) -> a sentence for the disconnect dialog, or "" when nothing is affected
    describe: Callable[[object], str]
    # (organization) -> a phrase for the audit summary, or "": inside the disconnect transaction
    apply: Callable[[object], str]


_providers: dict[str, Provider] = {}
_sections: dict[str, list[CardSection]] = {}
_disconnect_hooks: dict[str, list[DisconnectHook]] = {}


def register(provider: Provider) -> None:
    _providers[provider.key] = provider


def register_card_section(provider_key: str, section: CardSection) -> None:
    sections = _sections.setdefault(provider_key, [])
    if section not in sections:
        sections.append(section)
        sections.sort(key=lambda s: s.order)


def register_disconnect_hook(provider_key: str, hook: DisconnectHook) -> None:
    hooks = _disconnect_hooks.setdefault(provider_key, [])
    if hook not in hooks:
        hooks.append(hook)


def disconnect_hooks(provider_key: str) -> list[DisconnectHook]:
    return list(_disconnect_hooks.get(provider_key, []))


def disconnect_descriptions(provider_key: str, organization) -> list[str]:
    """What other apps say a disconnect of this provider will affect (for its confirmation dialog)."""
    return [line for line in (hook.describe(organization) for hook in disconnect_hooks(provider_key)) if line]


def providers() -> list[Provider]:
    return sorted(_providers.values(), key=lambda p: (p.order, p.name))


def _connection_context(provider: Provider, organization, connection) -> dict:
    """What every provider's card shows the same way (see Provider.disconnect)."""
    if provider.disconnect is None:
        return {}
    return {
        f"{provider.prefix}_audit": audit_recent(organization=organization, provider=provider.key, limit=5),
        f"{provider.prefix}_disconnect_form": provider.disconnect.form(),
        f"{provider.prefix}_disconnect_warnings": (
            provider.disconnect.warnings(organization) if connection is not None else []
        ),
    }


def render_card(request: HttpRequest, organization, provider: Provider, extra: dict | None = None) -> str:
    context = {"provider": provider, "organization": organization, **provider.card_context(request, organization)}
    context.update(_connection_context(provider, organization, context.get(provider.prefix)))
    if extra:
        context.update(extra)
    context["sections_html"] = [
        render_to_string(s.template, {**context, **s.context(request, organization)}, request=request)
        for s in _sections.get(provider.key, [])
    ]
    return render_to_string(provider.card_template, context, request=request)
