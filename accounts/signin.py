"""Sign-in and password-reset throttling (README → Operations).

django-axes counts failed sign-ins (site and admin) in the database and refuses sign-in while an
account or an address is locked out; these are the hooks its settings name (`AXES_*` in settings).
Password-reset requests are counted in the cache with django-ratelimit.
"""

import ipaddress
import logging
import math
from datetime import UTC, datetime, timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.template.response import TemplateResponse
from django.utils import timezone
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError

from .services import normalize_email

log = logging.getLogger(__name__)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind ROSTER_TRUSTED_PROXY_COUNT proxies the entry the
    outermost one appended to X-Forwarded-For (entries to its left are the client's to invent).
    An IPv6 address counts as its /64, the block one subscriber is usually given."""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.ROSTER_TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if proxies == 0 and "HTTP_X_FORWARDED_FOR" in request.META and (ip.is_private or ip.is_loopback):
        _warn_about_an_unconfigured_proxy(address)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


_warned_about_proxy = False


def _warn_about_an_unconfigured_proxy(address: str) -> None:
    global _warned_about_proxy
    if not _warned_about_proxy:
        _warned_about_proxy = True
        log.warning(
            "Requests come through a proxy (%s, with X-Forwarded-For) but ROSTER_TRUSTED_PROXY_COUNT is 0: every "
            "client has the proxy's address, so a few failed sign-ins lock everyone out. Set it (README → Operations).",
            address,
        )


def attempted_email(request, credentials: dict | None) -> str | None:
    """The account a sign-in attempt names, as one spelling (`Ann@X.example ` counts as ann@x.example)."""
    credentials = credentials or {}
    value = credentials.get("username") or credentials.get("email")
    if value is None and request is not None:
        value = request.POST.get("username")
    return normalize_email(value) if isinstance(value, str) and value.strip() else None


class SigninAttemptHandler(AxesDatabaseHandler):
    """Axes' database handler, except that a successful sign-in clears the failures counted for that
    account only. Axes' own AXES_RESET_ON_SUCCESS also clears the address's, so someone guessing
    another person's password could start over by signing in to an account of their own."""

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        forget_failed_sign_ins(user)


def forget_failed_sign_ins(user) -> None:
    """Clear the failed sign-ins counted for this account (from any address)."""
    AxesProxyHandler.reset_attempts(username=normalize_email(user.get_username()))


def _lockout(request, credentials) -> tuple[datetime | None, bool]:
    """When sign-in opens again for this attempt's account and address, and whether the account (not
    only the address) is locked. A lock lasts until the failure that reached the limit, counting back
    from the newest, is older than the cool-off."""
    handler = AxesProxyHandler.get_implementation()
    limit = get_failure_limit(request, credentials)
    cool_off = get_cool_off(request)
    ends_at, by_account = None, False
    for parameter, attempts in zip(
        settings.AXES_LOCKOUT_PARAMETERS, handler.get_user_attempts(request, credentials), strict=True
    ):
        counted = 0
        for attempt_time, failures in attempts.order_by("-attempt_time").values_list(
            "attempt_time", "failures_since_start"
        ):
            counted += failures
            if counted >= limit:
                ends_at = attempt_time + cool_off if ends_at is None else max(ends_at, attempt_time + cool_off)
                by_account = by_account or parameter == "username"
                break
    return ends_at, by_account


def try_again_after(ends_at: datetime) -> str:
    """The sentence "Try again after 20:15 UTC (in 14 minutes).", rounded up to the minute: never too early."""
    now = timezone.now()
    at = ends_at.astimezone(UTC)
    if at.second or at.microsecond:
        at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    minutes = max(1, math.ceil((at - now).total_seconds() / 60))
    when = at.strftime("%H:%M UTC" if at.date() == now.astimezone(UTC).date() else "%Y-%m-%d %H:%M UTC")
    return f"Try again after {when} (in {minutes} minute{'' if minutes == 1 else 's'})."


def lockout_response(request, original_response, credentials):
    """AXES_LOCKOUT_CALLABLE: the sign-in page that was refused (Roster's or the admin's), its error
    replaced by when to try again, answered 429."""
    ends_at, by_account = _lockout(request, credentials)
    who = "for this account" if by_account else "from your network"
    message = f"Too many failed sign-ins {who}. " + try_again_after(ends_at or timezone.now() + get_cool_off(request))
    context = getattr(original_response, "context_data", None) or {}
    form = context.get("form")
    if isinstance(original_response, TemplateResponse) and isinstance(form, AuthenticationForm) and form.is_bound:
        template = original_response.template_name
        form.errors.clear()  # "didn't match" would be wrong: the password was not even checked
        form.add_error(None, message)
    else:  # a sign-in by some other path: show Roster's sign-in page
        template, form = "registration/login.html", AuthenticationForm(request)
    response = TemplateResponse(request, template, {**context, "form": form, "lockout_message": message}, status=429)
    return response.render()


def password_reset_refusal(request, email: str) -> str | None:
    """Count a password-reset request against the address and the email address; over
    ROSTER_LOGIN_FAILURE_LIMIT requests for either within ROSTER_LOGIN_COOLOFF_MINUTES, the message
    that refuses it. When the cache (Redis) is down, requests are let through and a warning logged."""
    rate = f"{settings.ROSTER_LOGIN_FAILURE_LIMIT}/{settings.ROSTER_LOGIN_COOLOFF_MINUTES}m"
    keys = {
        "password-reset-address": lambda group, request: client_ip(request) or "unknown",
        "password-reset-email": lambda group, request: normalize_email(email),
    }
    waits = []
    for group, key in keys.items():
        try:
            usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
        except RedisError:
            log.warning("Password-reset throttling is off: the cache is unavailable", exc_info=True)
            return None
        if usage and usage["should_limit"]:
            waits.append(max(usage["time_left"], 1))
    if not waits:
        return None
    return "Too many password-reset requests for this email or from your network. " + try_again_after(
        timezone.now() + timedelta(seconds=max(waits))
    )
