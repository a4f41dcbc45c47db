from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "lasting.audit"
    label = "audit"
