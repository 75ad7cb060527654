"""Recording staff access to recipients' personal data (SPEC §2, §5)."""

from django.http import HttpRequest

from .models import AuditEvent
from .selectors import memberships_for


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    *,
    actor,
    action: str,
    object_type: str,
    object_id,
    subject_id: int | None = None,
    food_bank_id: int | None = None,
    request: HttpRequest | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """Append one audit event. ``detail`` must name fields or counts, never their values."""
    roles = sorted({m.role for m in memberships_for(actor)}) if actor is not None else []
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_role=",".join(roles)[:32],
        food_bank_id=food_bank_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        subject_id=subject_id,
        ip_address=client_ip(request),
        path=(request.path[:300] if request is not None else ""),
        detail=detail or {},
    )
