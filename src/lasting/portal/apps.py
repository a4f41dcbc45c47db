from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "lasting.portal"
    label = "portal"
