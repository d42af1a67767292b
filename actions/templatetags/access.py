from django import template

from actions.accounts import access, roles

register = template.Library()


@register.filter
def may(user, url_name: str) -> bool:
    """{% if user|may:"action_create" %}: show a link only when its page would open."""
    return access.may(user, url_name)


@register.filter
def role(user) -> str:
    """{{ user|role }}: the user's role (Admin, Builder, Reviewer), or "no role"."""
    return roles.role_of(user) or "no role"
