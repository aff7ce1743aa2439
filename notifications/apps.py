from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self):
        from covers.signals import cover_request_changed
        from rotations import hooks
        from rotations.signals import handoff_recorded, shifts_changed

        from . import api, email, registry, selectors, tasks
        from .slack import SlackChannel, page

        # A new handoff nudges its fan-out at once; the beat scan catches any nudge that was lost.
        handoff_recorded.connect(tasks.nudge, dispatch_uid="notifications.nudge")
        shifts_changed.connect(tasks.nudge_shifts, dispatch_uid="notifications.nudge_shifts")  # diff them now
        hooks.register_detail_context(page.page_context)  # fills the Slack names the next one reads
        hooks.register_detail_context(selectors.rotation_page_context)
        registry.register(SlackChannel())
        registry.register(email.EmailChannel())  # reminders before a shift and moved-shift emails
        # A cover request's event (after its commit) makes its rows at once; the sweep catches a lost one.
        cover_request_changed.connect(tasks.cover_nudge, dispatch_uid="notifications.cover_nudge")
        api.install()  # the rotation JSON's "slack" key
