from django.apps import AppConfig


class ScheduleConfig(AppConfig):
    name = "lasting.schedule"
    label = "schedule"
