"""Sign-in: Django's model backend, loading with the user what every staff page asks next.

Every request of a signed-in person loads their user row, department, regions and roles. A
process keeps what it loaded for a few seconds (``USER_CACHE_SECONDS``): a change made through
the models (saving or deleting the user, adding or removing a role) drops it at once in the
process that makes it, and the other processes load it again within those seconds. Each request
gets its own copy, so nothing one request caches on its user reaches another.
"""

import copy
import threading

from cachetools import TTLCache
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db import connections

_users: TTLCache = TTLCache(maxsize=10_000, ttl=settings.USER_CACHE_SECONDS)
_lock = threading.Lock()


def forget_users(user_ids=None) -> None:
    """Drop what this process keeps of these users (of everyone, with None)."""
    with _lock:
        if user_ids is None:
            _users.clear()
        else:
            for user_id in user_ids:
                _users.pop(user_id, None)


def load_user(user_id):
    """The user with the department and regions that decide their scope (``User.scope_path``) and,
    on PostgreSQL, the names of their groups (``User.role_codes``), in one query; None if none."""
    from portal.organisation.models import User

    users = User._default_manager.select_related("department__region", "scope_region")
    with_groups = connections[users.db].vendor == "postgresql"
    if with_groups:
        from django.contrib.postgres.expressions import ArraySubquery
        from django.db.models import OuterRef

        names = User.groups.through.objects.filter(user_id=OuterRef("pk")).values("group__name")
        users = users.annotate(group_names=ArraySubquery(names))
    user = users.filter(pk=user_id).first()
    if user is not None and with_groups:
        user.set_role_codes(user.__dict__.pop("group_names"))
    return user


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        """The signed-in user of a request (see the module's docstring)."""
        with _lock:
            user = _users.get(user_id)
        if user is None:
            user = load_user(user_id)
            if user is None:
                return None
            if settings.USER_CACHE_SECONDS:
                with _lock:
                    _users[user_id] = user
        user = copy.copy(user)
        return user if self.user_can_authenticate(user) else None
