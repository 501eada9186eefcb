"""Sign-in: Django's model backend, loading with the user what every staff page asks next."""

from django.contrib.auth.backends import ModelBackend


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        """The signed-in user of a request, with the department and regions that decide their scope
        (``User.scope_path``) in the same query rather than two more on every page."""
        from portal.organisation.models import User

        try:
            user = User._default_manager.select_related("department__region", "scope_region").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
