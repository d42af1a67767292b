from django import template

from actions.accounts import access

register = template.Library()


@register.filter
def may(user, url_name: str) -> bool:
    """{% if user|may:"action_create" %}: show a link only when its page would open."""
    return access.may(user, url_name)
