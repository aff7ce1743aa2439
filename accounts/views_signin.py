from django.contrib.auth import views as auth_views

from . import signin


class PasswordResetView(auth_views.PasswordResetView):
    """Django's "Forgot your password?" form, refused (429, saying when to try again) after too many
    requests from one address or for one email address (accounts.signin)."""

    def form_valid(self, form):
        refusal = signin.password_reset_refusal(self.request, form.cleaned_data["email"])
        if refusal:
            form.add_error("email", refusal)
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's "set a new password" page from the emailed link. Setting one also lifts a sign-in
    lockout of the account: its owner has shown they read its email."""

    def form_valid(self, form):
        response = super().form_valid(form)
        signin.forget_failed_sign_ins(form.user)
        return response
