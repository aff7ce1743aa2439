import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.utils import timezone
from django.utils.timesince import timeuntil

from . import services, signin
from .forms import ForgotPasswordForm, NewPasswordForm


def link_valid_for() -> str:
    """How long an emailed link to set a new password works, in words ("3 days")."""
    now = timezone.now()
    return timeuntil(now + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT), now)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's "Forgot your password?" form, refused (429, saying when to try again) after too many
    requests from one address or for one email address (accounts.signin). The email's link is on
    PUBLIC_BASE_URL, as every link Roster sends, never on the host the request named."""

    form_class = ForgotPasswordForm
    email_template_name = "registration/password_reset_email.txt"

    def form_valid(self, form):
        refusal = signin.password_reset_refusal(self.request, form.cleaned_data["email"])
        if refusal:
            form.add_error("email", refusal)
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        self.extra_email_context = {"base_url": settings.PUBLIC_BASE_URL, "valid_for": link_valid_for()}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    extra_context = {"valid_for": link_valid_for}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's "set a new password" page from the emailed link. Setting one also lifts a sign-in
    lockout of the account and confirms its address: its owner has shown they read its email."""

    form_class = NewPasswordForm
    extra_context = {"valid_for": link_valid_for}

    def form_valid(self, form):
        response = super().form_valid(form)
        signin.forget_failed_sign_ins(form.user)
        services.email_confirm(user=form.user)
        return response


class SignOutView(auth_views.LogoutView):
    """Django's sign-out, then the sign-in page says it happened (the new session carries the message)."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are signed out.")
        return response
