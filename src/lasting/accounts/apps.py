from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lasting.accounts"
    label = "accounts"

    def ready(self) -> None:
        from lasting.accounts import receivers  # noqa: F401  (connects the audit receivers)
