from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "lasting.checkins"
    label = "checkins"
