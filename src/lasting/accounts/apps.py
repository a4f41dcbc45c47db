from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lasting.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from lasting.accounts import receivers  # noqa: F401  (connects the audit receivers)
        from lasting.accounts.tenancy import apply_policies_after_migrate

        # Every app's tables exist by the time the last post_migrate runs; the policies
        # are re-applied each time (idempotent), so tables of later apps get theirs.
        post_migrate.connect(apply_policies_after_migrate, dispatch_uid="lasting-tenancy")
