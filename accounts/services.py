from django.db import transaction
from django.utils import timezone

from .models import ApiToken, Membership, Organization, User, hash_token


@transaction.atomic
def organization_create(*, name: str, admin_email: str, password: str | None = None) -> Organization:
    """Create an organization and make `admin_email` its first admin (creating the user if new)."""
    org = Organization.objects.create(name=name, slug=Organization.unique_slug_for(name))
    email = admin_email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password)
    elif password:
        user.set_password(password)
        user.save(update_fields=["password"])
    Membership.objects.create(user=user, organization=org, role=Membership.Role.ADMIN)
    return org


def api_token_create(*, organization: Organization, name: str, created_by=None) -> tuple[ApiToken, str]:
    """Returns the token row and the raw token, which is never stored and must be shown only once."""
    return ApiToken.generate(organization=organization, name=name or "API token", created_by=created_by)


def api_token_revoke(*, organization: Organization, token_id: int) -> bool:
    deleted, _ = ApiToken.objects.filter(organization=organization, id=token_id).delete()
    return bool(deleted)


def api_token_authenticate(raw: str) -> ApiToken | None:
    if not raw or not raw.startswith(ApiToken.PREFIX):
        return None
    token = ApiToken.objects.select_related("organization").filter(token_hash=hash_token(raw)).first()
    if token is not None:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token
