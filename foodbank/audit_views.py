"""Coordinator pages: search the audit log, export "who saw this person's data", and list the
records of provision of one person's data (for disclosure requests under APPI art. 33).

Scoped to the coordinator's own food banks (``foodbank.selectors``); other roles get 403. Every
view and export of these pages is itself recorded in the audit log.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from . import audit, selectors
from .exports import csv_response
from .models import AuditEvent, Role

PAGE_SIZE = 50


class AuditSearchForm(forms.Form):
    subject = forms.IntegerField(label=_("Recipient id"), required=False, min_value=1)
    actor = forms.CharField(label=_("Staff username"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("Any")), *AuditEvent.Action.choices]
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


class SubjectForm(forms.Form):
    subject = forms.IntegerField(label=_("Recipient id"), min_value=1)


def _require_coordinator(request) -> None:
    if not selectors.has_role(request.user, Role.COORDINATOR):
        raise PermissionDenied


def _search(request, form: AuditSearchForm):
    events = selectors.visible_audit_events(request.user).select_related("actor").order_by("-at", "-pk")
    data = form.cleaned_data
    if data.get("subject"):
        events = events.filter(audit.subject_filter(data["subject"]))
    if data.get("actor"):
        events = events.filter(actor__username=data["actor"])
    if data.get("action"):
        events = events.filter(action=data["action"])
    if data.get("date_from"):
        events = events.filter(at__date__gte=data["date_from"])
    if data.get("date_to"):
        events = events.filter(at__date__lte=data["date_to"])
    return events


def _filters_used(form: AuditSearchForm) -> list[str]:
    return sorted(name for name, value in form.cleaned_data.items() if value not in (None, ""))


@login_required
@require_GET
def audit_log(request):
    _require_coordinator(request)
    # Bound even without parameters (every field is optional): the first page is the latest events.
    form = AuditSearchForm(request.GET)
    page = None
    if form.is_valid():
        page = Paginator(_search(request, form), PAGE_SIZE).get_page(request.GET.get("page"))
        # Read the page before recording this view, so the view does not list itself.
        page.object_list = list(page.object_list)
        subject = form.cleaned_data.get("subject")
        audit.record_view(
            request,
            object_type="audit_log",
            object_id=subject or "search",
            subject_id=subject,
            detail={"filters": _filters_used(form), "page": page.number},
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "foodbank/audit_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@login_required
@require_GET
def audit_log_export(request):
    """CSV of every recorded access to one person's data: who, when, what, from where."""
    _require_coordinator(request)
    form = SubjectForm(request.GET)
    if not form.is_valid():
        return render(request, "foodbank/audit_log.html", {"form": AuditSearchForm(request.GET)}, status=400)
    subject = form.cleaned_data["subject"]
    events = list(
        selectors.visible_audit_events(request.user)
        .filter(audit.subject_filter(subject))
        .select_related("actor")
        .order_by("at", "pk")
    )
    audit.record_view(
        request,
        action=AuditEvent.Action.EXPORT,
        object_type="audit_log",
        object_id=subject,
        subject_id=subject,
        detail={"rows": len(events)},
    )
    header = ["at", "username", "name", "role", "action", "object_type", "object_id", "ip_address", "path"]
    rows = (
        [
            event.at,
            event.actor.get_username() if event.actor else "",
            event.actor.get_full_name() if event.actor else "",
            event.actor_role,
            event.action,
            event.object_type,
            event.object_id,
            event.ip_address or "",
            event.path,
        ]
        for event in events
    )
    stamp = timezone.localdate().isoformat()
    return csv_response([header, *rows], f"access-log-recipient-{subject}-{stamp}.csv")


def _provision_rows(records):
    for r in records:
        yield [
            r.provided_at,
            r.recipient_name,
            r.recipient_organisation_id or "",
            " ".join(r.data_categories),
            r.basis,
            r.provided_by.get_username() if r.provided_by else "",
            r.trigger_type,
            r.trigger_id,
        ]


@login_required
@require_GET
def provision_records(request):
    """Records of provision of one person's data to other organisations (APPI art. 29)."""
    _require_coordinator(request)
    form = SubjectForm(request.GET or None)
    records = None
    if form.is_valid():
        subject = form.cleaned_data["subject"]
        records = list(
            selectors.visible_provision_records(request.user)
            .filter(subject_id=subject)
            .select_related("provided_by", "recipient_organisation")
        )
        export = request.GET.get("format") == "csv"
        audit.record_view(
            request,
            action=AuditEvent.Action.EXPORT if export else AuditEvent.Action.VIEW,
            object_type="provision_records",
            object_id=subject,
            subject_id=subject,
            detail={"rows": len(records)},
        )
        if export:
            header = [
                "provided_at",
                "provided_to",
                "organisation_id",
                "data_categories",
                "basis",
                "provided_by",
                "trigger_type",
                "trigger_id",
            ]
            stamp = timezone.localdate().isoformat()
            return csv_response(
                [header, *_provision_rows(records)], f"provision-records-recipient-{subject}-{stamp}.csv"
            )
    return render(
        request,
        "foodbank/provision_records.html",
        {"form": form, "records": records},
    )
