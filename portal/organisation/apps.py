from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationConfig(AppConfig):
    name = "portal.organisation"
    label = "organisation"
    verbose_name = _("组织机构")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        # Permissions of later apps exist only after their own post_migrate: run after each app.
        post_migrate.connect(_ensure_role_groups, dispatch_uid="organisation.ensure_role_groups")


def _ensure_role_groups(sender, **kwargs) -> None:
    """Infrastructure: keep the role groups and their admin permissions in step with the models."""
    from portal.organisation.services import ensure_role_groups

    ensure_role_groups()
