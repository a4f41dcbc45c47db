from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "lasting.outreach"
    verbose_name = "Check-in schedules and reminders"
