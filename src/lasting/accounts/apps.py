from typing import Any

from django.apps import AppConfig


def create_cache_table(using: str = "default", **kwargs: Any) -> None:
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class AccountsConfig(AppConfig):
    name = "lasting.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from lasting.accounts import receivers  # noqa: F401  (connects the audit receivers)
        from lasting.accounts.tenancy import apply_policies_after_migrate

        # post_migrate comes after every migration of the run, so every app's tables
        # exist; the policies are applied where missing, so a new app's tables get theirs.
        post_migrate.connect(
            apply_policies_after_migrate, sender=self, dispatch_uid="lasting-tenancy"
        )
        # The shared cache's table (settings.CACHES) is not a migration: any migrate,
        # however run, creates it if missing.
        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="lasting-cache")
