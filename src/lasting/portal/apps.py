from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "lasting.portal"
    label = "portal"

    def ready(self) -> None:
        from lasting.portal import receivers  # noqa: F401  (staff sign-in ends a patient session)
