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

        from django.db.models.signals import m2m_changed, post_delete, post_save

        from portal.organisation.models import User

        # What the sign-in backend keeps of a user goes as soon as the user or their roles change.
        post_save.connect(_forget_user, sender=User, dispatch_uid="organisation.forget_saved_user")
        post_delete.connect(_forget_user, sender=User, dispatch_uid="organisation.forget_deleted_user")
        m2m_changed.connect(_forget_members, sender=User.groups.through, dispatch_uid="organisation.forget_members")


def _ensure_role_groups(sender, **kwargs) -> None:
    """Infrastructure: keep the role groups and their admin permissions in step with the models."""
    from portal.organisation.services import ensure_role_groups

    ensure_role_groups()


def _forget_user(sender, instance, **kwargs) -> None:
    from portal.organisation.backends import forget_users

    forget_users([instance.pk])


def _forget_members(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """A user's roles changed (``user.groups``), or a role's members (``group.user_set``)."""
    from portal.organisation.backends import forget_users

    if not action.startswith("post_"):
        return
    if not reverse:
        forget_users([instance.pk])
    else:
        forget_users(pk_set)  # None after clear(): everyone
