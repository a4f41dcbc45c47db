from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "lasting.plans"
    label = "plans"

    def ready(self) -> None:
        from lasting.plans import receivers  # noqa: F401  (connects the signal receivers)
