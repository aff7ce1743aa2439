import logging

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.core import signing
from django.template.loader import render_to_string

from config import mail

from .models import ApiToken, Membership, User

log = logging.getLogger(__name__)

SCOPE_HELP = {
    ApiToken.Scope.READ: "Read: read what members may read (rotations, on-call, incidents, members).",
    ApiToken.Scope.WRITE: "Write: read, and create, change, sync and delete rotations.",
    ApiToken.Scope.ADMIN: "Admin: everything an admin can do, including the PagerDuty connection, "
    "webhook secrets, members and invitations.",
}


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Token name", help_text="What the token is for, e.g. “deploy script”.")
    scope = forms.ChoiceField(
        choices=[(scope.value, SCOPE_HELP[scope]) for scope in ApiToken.Scope],
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
        label="Scope",
        help_text="Give a script no more than it needs.",
    )
    expires_in_days = forms.IntegerField(
        min_value=1,
        max_value=3650,
        required=False,
        label="Expires after (days)",
        help_text="Leave empty for a token that works until it is revoked.",
    )


ROLE_CHOICES = Membership.Role.choices


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254, label="Email")
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=Membership.Role.MEMBER, label="Role")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES, label="Role")


PASSWORD_RULES = "At least 8 characters, not a common password, not only digits, not like your name or email."


class JoinForm(forms.Form):
    """A new person's account, created from their invitation (the email is the invitation's)."""

    first_name = forms.CharField(max_length=150, label="First name")
    last_name = forms.CharField(max_length=150, label="Last name", required=False)
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=PASSWORD_RULES,
    )


class ForgotPasswordForm(PasswordResetForm):
    """Django's "Forgot your password?" form, its one field focused as the page opens; it also serves
    an account that has no password yet (`create_organization` without one), which sets its first here."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autofocus"] = True

    def send_mail(  # noqa: PLR0917  (Django's signature)
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        """Django's, as every email Roster sends: marked automatic (config.mail). As Django's, a mail
        outage is logged, not shown: the page says the same whether or not the address has an account."""
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        try:
            mail.email(subject=subject, body=body, to=to_email).send()
        except Exception as exc:  # noqa: BLE001
            log.warning("Could not email a password reset link: %s", type(exc).__name__)

    def get_users(self, email):
        users = User.objects.filter(email__iexact=email, is_active=True)
        return (user for user in users if user.email.lower() == email.lower())  # not only as the database compares


class NewPasswordForm(SetPasswordForm):
    """Django's "set a new password" form from the emailed link, worded as Roster's other forms (the
    rules in one sentence, not the validators' HTML list)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password1"].help_text = PASSWORD_RULES
        self.fields["new_password2"].label = "The same again"
        self.fields["new_password2"].help_text = ""


class ChangePasswordForm(NewPasswordForm, PasswordChangeForm):
    """Django's "change your password" form for a signed-in person, worded as NewPasswordForm."""

    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": "Your current password was entered incorrectly. Please enter it again.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"


class SignInForm(AuthenticationForm):
    """The sign-in form: also refuses an account whose email address is not confirmed yet (the
    password was right, so saying why reveals nothing to a stranger), with a signed value the page
    sends back to ask for the link again."""

    unconfirmed_email = ""
    resend_token = ""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.email_confirmed:
            self.unconfirmed_email = user.email
            self.resend_token = signing.dumps(user.pk, salt=RESEND_SALT)
            raise forms.ValidationError(
                "Confirm your email address first: we sent a link to %(email)s.",
                code="email_unconfirmed",
                params={"email": user.email},
            )


RESEND_SALT = "accounts.forms.resend-confirmation"


class ConfirmEmailForm(forms.Form):
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="The password chosen when the account was created.",
    )
