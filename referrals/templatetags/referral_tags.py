"""Template tags other apps' pages use to point at referrals (the window page's inbox badge)."""

from django import template

from referrals import selectors

register = template.Library()


@register.inclusion_tag("referrals/_inbox_badge.html", takes_context=True)
def referral_inbox_badge(context, site):
    """ "Referrals N" linking to the inbox, for window staff of ``site`` (nothing for others)."""
    user = context["request"].user
    return {
        "count": selectors.open_referral_count(user, site_id=site.pk),
        "show": selectors.is_window_staff_of(user, site.pk),
    }


@register.filter
def get_item(mapping, key):
    """``mapping|get_item:key`` (a dict lookup with a variable key)."""
    return mapping.get(key) if mapping else None
