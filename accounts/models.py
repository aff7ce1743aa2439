import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.text import slugify


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("An email address is required")
        extra = {"is_staff": False, "is_superuser": False, **extra}
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        return self.create_user(email, password, **{"is_staff": True, "is_superuser": True, **extra})

    def get_by_natural_key(self, email):
        """The account for `email` however it is capitalized (sign-in); the exact spelling if there are two."""
        try:
            return self.get(email__iexact=email)
        except self.model.MultipleObjectsReturned:
            return self.get(email=email)


class User(AbstractUser):
    """A person who signs in. The email address is the username."""

    username = None  # type: ignore[assignment]  # the email address is the username
    email = models.EmailField("email address", unique=True)

    # False only for an account created from an invitation link that was shown to an admin (its
    # email could not be sent): who set the password has not shown they read that mailbox yet.
    email_confirmed = models.BooleanField(default=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()  # type: ignore[misc,assignment]  # the email-as-username manager

    def __str__(self):
        return self.email


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "organization"
        verbose_name_plural = "organizations"
        ordering = ["name"]

    def __str__(self):
        return self.name

    @classmethod
    def unique_slug_for(cls, name: str) -> str:
        base = slugify(name)[:50] or "org"
        slug, n = base, 2
        while cls.objects.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "membership"
        verbose_name_plural = "memberships"
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")]

    def __str__(self):
        return f"{self.user} in {self.organization} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """An organization API token for scripts. Only its SHA-256 hash is stored; it is shown once.

    Its scope limits what it may do (each includes the ones before it); an admin's token works while
    that person is an admin of the organization; an operator's (`manage.py create_api_token`) has no
    creator and stays valid."""

    PREFIX = "rst_"

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Write"
        ADMIN = "admin", "Admin"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    last4 = models.CharField(max_length=4, editable=False)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    expires_at = models.DateTimeField(null=True, blank=True)
    by_operator = models.BooleanField(default=False, editable=False)  # created without a creator to vouch for it

    class Meta:
        verbose_name = "API token"
        verbose_name_plural = "API tokens"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} (…{self.last4})"

    def allows(self, scope: str) -> bool:
        """Whether this token's scope includes `scope` (read < write < admin)."""
        order = self.Scope.values
        return order.index(self.scope) >= order.index(scope)

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @classmethod
    def generate(cls, *, organization, name, scope, expires_at=None, created_by=None) -> tuple["ApiToken", str]:
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            organization=organization,
            name=name,
            token_hash=hash_token(raw),
            last4=raw[-4:],
            scope=scope,
            expires_at=expires_at,
            created_by=created_by,
            by_operator=created_by is None,
        )
        return token, raw


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        """Not accepted yet (expired ones included: an admin re-sends or revokes them)."""
        return self.filter(accepted_at__isnull=True)


class Invitation(models.Model):
    """An invitation to join an organization. Only the SHA-256 hash of its token is stored."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The email could not be sent, so the link was shown to the inviting admin: an account created
    # from it must confirm its address before it can sign in.
    link_shown = models.BooleanField(default=False)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = "invitation"
        verbose_name_plural = "invitations"
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="one_pending_invitation_per_email",
            )
        ]

    def __str__(self):
        return f"{self.email} to {self.organization} ({self.role})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @staticmethod
    def new_token() -> tuple[str, str]:
        """A raw token for the accept link and the hash to store."""
        raw = secrets.token_urlsafe(32)
        return raw, hash_token(raw)


class AuditEvent(models.Model):
    """Who did what, and when: an integration connected, a member invited, a token revoked. `detail` never
    holds a secret (only last-4 digits). `provider` says what changed: a provider key, or "roster"."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="audit_events")
    provider = models.CharField(max_length=40)
    action = models.CharField(max_length=60)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=200, help_text="Who acted, kept if the user is deleted.")
    summary = models.CharField(max_length=300)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "audit event"
        verbose_name_plural = "audit events"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "provider", "-created_at"], name="audit_org_provider_created_idx")
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} UTC {self.actor_label}: {self.summary}"
