"""Who may open which page: the permission each URL needs, and the check links use.

actions/urls.py wraps each view with `need()`; templates ask `user|may:"url_name"` before
showing a link, so a link is shown exactly when its page would open.
"""

from functools import cache

from django.contrib.auth.decorators import permission_required, user_passes_test
from django.core.exceptions import PermissionDenied
from django.urls import URLResolver, get_resolver


def need(permission: str | tuple[str, ...], view):
    """The view, for users holding `permission` — or every one of several (403 for the
    others)."""
    permissions = (permission,) if isinstance(permission, str) else tuple(permission)
    wrapped = permission_required(permissions, raise_exception=True)(view)
    wrapped.permissions = permissions
    return wrapped


def need_any(permissions: tuple[str, ...], view):
    """The view, for users holding at least one of `permissions`."""

    def check(user):
        if any(user.has_perm(p) for p in permissions):
            return True
        raise PermissionDenied

    wrapped = user_passes_test(check)(view)
    wrapped.permissions = permissions
    wrapped.any_permission = True
    return wrapped


@cache
def _views() -> dict:
    """Every named URL's view, read from the project's URL configuration."""
    found = {}

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif pattern.name:
                found.setdefault(pattern.name, pattern.callback)

    walk(get_resolver().url_patterns)
    return found


def may(user, url_name: str) -> bool:
    """Whether the user may open the page named `url_name` (an unknown name: no)."""
    view = _views().get(url_name)
    if view is None or not user.is_authenticated:
        return False
    permissions = getattr(view, "permissions", ())
    if getattr(view, "any_permission", False):
        return any(user.has_perm(p) for p in permissions)
    return all(user.has_perm(p) for p in permissions)
