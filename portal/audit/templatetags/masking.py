"""Template filters that mask personal data: ``{% load masking %}{{ user.phone|mask_phone }}``."""

from django import template

from portal.audit import masking

register = template.Library()


@register.filter
def mask_id(value) -> str:
    return masking.mask_identity_code(None if value is None else str(value))


@register.filter
def mask_phone(value) -> str:
    return masking.mask_phone(None if value is None else str(value))


@register.filter
def mask_name(value) -> str:
    return masking.mask_name(None if value is None else str(value))
