"""The shared core: the network of organisations and sites, users' roles, and the plumbing every app
uses (idempotency keys, the task outbox, the audit log, the worker heartbeat).

Tenancy: several food banks can share one installation. Every site, membership and (in the other
apps) every request, stock row and parcel carries a ``food_bank`` foreign key to an
``Organisation`` of kind ``food_bank``; queries are scoped by it (see ``foodbank.selectors``).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .append_only import AppendOnlyModel
from .geo import RegionalBureau
from .validators import validate_katakana_reading


class Organisation(models.Model):
    class Kind(models.TextChoices):
        FOOD_BANK = "food_bank", _("Food bank")
        SOCIAL_WELFARE_COUNCIL = "social_welfare_council", _("Social welfare council")
        INDEPENDENCE_SUPPORT = "independence_support", _("Independent living support agency")
        COMMUNITY_SUPPORT_CENTER = "community_support_center", _("Community general support centre")
        MUNICIPALITY = "municipality", _("Municipality")
        NPO = "npo", _("NPO")
        DV_SHELTER = "dv_shelter", _("DV shelter")
        PANTRY_GROUP = "pantry_group", _("Pantry group (children's cafeteria, welfare facility)")
        OTHER = "other", _("Other")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    # The reading of the name, published in the directory's Japan profile (docs/directory.md).
    name_kana = models.CharField(
        _("name reading (kana)"),
        max_length=200,
        blank=True,
        validators=[validate_katakana_reading],
        help_text=_("The reading in full-width katakana, e.g. オタルシシャカイフクシキョウギカイ."),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    # The food bank this organisation works with; empty only for a food bank itself.
    food_bank = models.ForeignKey(
        "self",
        verbose_name=_("food bank"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partners",
        limit_choices_to={"kind": Kind.FOOD_BANK},
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("email"), blank=True)
    municipality = models.CharField(_("municipality"), max_length=64, blank=True)
    regional_bureau = models.CharField(
        _("regional bureau"), max_length=16, choices=RegionalBureau.choices, blank=True
    )
    # A DV shelter and the like: every site it runs is confidential (see Site.confidential).
    confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_(
            "Never published (open data, directories); every site it runs is treated as confidential."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="organisation_food_bank_link",
                condition=(
                    Q(kind="food_bank", food_bank__isnull=True)
                    | (~Q(kind="food_bank") & Q(food_bank__isnull=False))
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def food_bank_id_for_scope(self) -> int:
        """The tenant this organisation belongs to: itself for a food bank."""
        return self.pk if self.kind == self.Kind.FOOD_BANK else self.food_bank_id


class Site(models.Model):
    class Kind(models.TextChoices):
        WAREHOUSE = "warehouse", _("Warehouse")
        WINDOW = "window", _("Consultation window")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    food_bank = models.ForeignKey(
        Organisation,
        verbose_name=_("food bank"),
        on_delete=models.PROTECT,
        related_name="network_sites",
        limit_choices_to={"kind": Organisation.Kind.FOOD_BANK},
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("operated by"), on_delete=models.PROTECT, related_name="sites"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    # The reading of the name, published in the directory's Japan profile (docs/directory.md).
    name_kana = models.CharField(
        _("name reading (kana)"),
        max_length=200,
        blank=True,
        validators=[validate_katakana_reading],
        help_text=_("The reading in full-width katakana, e.g. オタルシシャキョウ セイカツソウダンマドグチ."),
    )
    postal_code = models.CharField(_("postal code"), max_length=7, help_text=_("Seven digits, no hyphen."))
    prefecture = models.CharField(_("prefecture"), max_length=8, default="北海道")
    municipality = models.CharField(_("municipality"), max_length=64)
    municipality_code = models.CharField(_("municipality code (JIS X 0402)"), max_length=5, blank=True)
    regional_bureau = models.CharField(
        _("regional bureau"), max_length=16, choices=RegionalBureau.choices, blank=True
    )
    address = models.CharField(_("street address"), max_length=200)
    building = models.CharField(_("building"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    # Where people are safe only while nobody can find them (a window run by a DV shelter): never in
    # open data or a directory, the address shown only to the site's own staff and the coordinator,
    # parcels to it labelled without its name (docs/privacy.md, "Confidential sites").
    confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_(
            "Never published; the address is shown only to the site's own staff and the coordinators, "
            "and parcels to it carry no site name."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["food_bank_id", "kind", "name"]
        indexes = [models.Index(fields=["food_bank", "kind"])]
        constraints = [
            models.CheckConstraint(
                name="site_postal_code_7_digits", condition=Q(postal_code__regex=r"^[0-9]{7}$")
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_confidential(self) -> bool:
        """Confidential itself or run by a confidential organisation."""
        return self.confidential or self.organisation.confidential

    @property
    def postal_code_display(self) -> str:
        return (
            f"{self.postal_code[:3]}-{self.postal_code[3:]}"
            if len(self.postal_code) == 7
            else self.postal_code
        )


class HouseholdType(models.TextChoices):
    """Household types (docs/spec.md §4.1 codes), shared by handouts, delivery requests and reports."""

    SINGLE = "single", _("Single")
    SINGLE_PARENT = "single_parent", _("Single parent")
    COUPLE = "couple", _("Couple")
    FAMILY = "family", _("Family")
    ELDERLY = "elderly", _("Elderly")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    WINDOW_STAFF = "window_staff", _("Window staff")
    CASE_WORKER = "case_worker", _("Case worker")
    VOLUNTEER = "warehouse_volunteer", _("Warehouse volunteer")
    INTEGRATION = "integration", _("Integration")
    # The installation's network view (reports.platform): every food bank's aggregates, nothing
    # inside any food bank. Held at a food bank (Membership needs a tenant) but grants nothing there.
    NETWORK = "network", _("Network (figures only)")


# Roles that act inside their food bank; ``Role.NETWORK`` reads only the network's aggregates.
TENANT_ROLES = frozenset(r for r in Role.values if r != Role.NETWORK)


class Membership(models.Model):
    """A user's role, scoped to an organisation and, for window staff, one site.

    Coordinators and integrations belong to the food bank organisation; case workers to their
    partner agency; window staff to the window's organisation and the window itself; volunteers to
    the food bank (optionally one warehouse). ``food_bank`` repeats the tenant for cheap scoping.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    food_bank = models.ForeignKey(
        Organisation,
        verbose_name=_("food bank"),
        on_delete=models.PROTECT,
        related_name="network_memberships",
        limit_choices_to={"kind": Organisation.Kind.FOOD_BANK},
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="memberships"
    )
    site = models.ForeignKey(
        Site,
        verbose_name=_("site"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user_id", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "organisation"],
                condition=Q(site__isnull=True),
                name="membership_unique_org_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "site"],
                condition=Q(site__isnull=False),
                name="membership_unique_site_role",
            ),
            models.CheckConstraint(
                name="membership_window_staff_has_site",
                condition=~Q(role="window_staff") | Q(site__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        scope = self.site or self.organisation
        return f"{self.user} · {self.get_role_display()} · {scope}"

    def clean(self) -> None:
        if self.organisation_id:
            check_membership_scope(role=self.role, organisation=self.organisation, site=self.site)
            self.food_bank_id = self.organisation.food_bank_id_for_scope


def check_membership_scope(*, role: str, organisation: Organisation, site: Site | None) -> None:
    """The rule of who may hold ``role`` where (a model invariant, so here with the models; also
    ``foodbank.services.check_membership_scope``). Raises ``ValidationError``."""
    is_food_bank = organisation.kind == Organisation.Kind.FOOD_BANK
    if role in (Role.COORDINATOR, Role.INTEGRATION):
        if not is_food_bank or site is not None:
            raise ValidationError(_("Coordinators and integrations belong to a food bank, not to a site."))
    elif role == Role.WINDOW_STAFF:
        if site is None or site.kind != Site.Kind.WINDOW or site.organisation_id != organisation.pk:
            raise ValidationError(_("Window staff belong to one window of their organisation."))
    elif role == Role.CASE_WORKER:
        if is_food_bank or site is not None:
            raise ValidationError(_("Case workers belong to a partner agency."))
    elif role == Role.VOLUNTEER:
        if not is_food_bank or (site is not None and site.kind != Site.Kind.WAREHOUSE):
            raise ValidationError(_("Volunteers belong to a food bank, optionally to one of its warehouses."))
    elif role == Role.NETWORK:
        if not is_food_bank or site is not None:
            raise ValidationError(_("The network role is held at a food bank, not at a site."))
    else:
        raise ValidationError(_("Unknown role."))


class IdempotencyKey(models.Model):
    """The first outcome of a POST sent with an ``Idempotency-Key`` header.

    Only a fingerprint of the body and the id of what was created are kept, never the body itself:
    request bodies carry recipients' personal data.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    locked_until = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    resource_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class OutboxMessage(models.Model):
    """A Celery task to send once the transaction that wrote it commits.

    Written in the same transaction as the change that needs the task, so the intent survives a
    broker that is down at commit time; ``foodbank.outbox`` sends it right after commit and the
    ``relay_outbox_task`` beat job sends whatever is still unsent.
    """

    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], condition=Q(sent_at__isnull=True), name="outbox_unsent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} #{self.pk}"


class AuditEvent(AppendOnlyModel):
    """Append-only record of staff viewing, exporting or changing a recipient's personal data.

    Holds references (object type and id), never the personal data itself.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("View")
        EXPORT = "export", _("Export")
        CREATE = "create", _("Create")
        CHANGE = "change", _("Change")
        PROVIDE = "provide", _("Provide to another organisation")

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    actor_role = models.CharField(_("role"), max_length=32, blank=True)
    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    subject_id = models.BigIntegerField(_("recipient id"), null=True, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    path = models.CharField(_("path"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the canary task (one row per queue)."""

    queue = models.CharField(max_length=64, unique=True)
    beat_at = models.DateTimeField()
    hostname = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.queue} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


class TaskRedelivery(models.Model):
    """A task message the broker delivered again (its worker died before acknowledging it: acks_late
    with task_reject_on_worker_lost). Counted per task id; after TASK_MAX_REDELIVERIES the message is
    acknowledged without running, so a poison task (one that kills its worker) cannot loop forever.
    ``gave_up_at`` marks those for a human (the admin lists them)."""

    task_id = models.CharField(max_length=255, unique=True)
    task_name = models.CharField(max_length=200)
    redeliveries = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField(auto_now_add=True)
    last_at = models.DateTimeField(auto_now=True)
    gave_up_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.task_name} {self.task_id} ×{self.redeliveries}"


class ApiToken(models.Model):
    """A credential for ``Authorization: Token <key>``, stored hashed and revocable.

    The key is ``<prefix>.<secret>``: the prefix finds the row, the SHA-256 of the whole key proves
    it. The plaintext is shown once, when the token is issued (``foodbank.tokens.issue_token``); a
    database dump holds only the prefix and the hash.
    """

    name = models.CharField(_("name"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    prefix = models.CharField(_("key prefix"), max_length=16, unique=True)
    key_hash = models.CharField(_("key hash (SHA-256)"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ProvisionRecord(AppendOnlyModel):
    """A record of personal data provided to another organisation (APPI art. 29 / 30).

    One row per person and provision: what went, to whom, on what basis, when, by whom, and what
    triggered it (a referral, a courier export). Holds the recipient's id, never their data.
    Append-only (a PostgreSQL trigger refuses UPDATE and DELETE).
    """

    class Basis(models.TextChoices):
        CONSENT = "consent", _("The person's consent")
        ENTRUSTMENT = "entrustment", _("Entrustment of handling (e.g. the courier delivering a parcel)")
        LAW = "law", _("Required by law")
        VITAL_INTEREST = "vital_interest", _("Protection of life, body or property")

    food_bank = models.ForeignKey(
        Organisation, verbose_name=_("food bank"), on_delete=models.PROTECT, related_name="+"
    )
    subject_id = models.BigIntegerField(_("recipient id"), db_index=True)
    recipient_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("provided to (organisation in the network)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recipient_name = models.CharField(_("provided to"), max_length=200)
    data_categories = models.JSONField(_("data categories"), default=list)
    basis = models.CharField(_("basis"), max_length=32, choices=Basis.choices)
    provided_at = models.DateTimeField(_("provided at"), db_index=True)
    provided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("provided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    trigger_type = models.CharField(_("triggered by"), max_length=64)
    trigger_id = models.CharField(_("trigger id"), max_length=64)

    class Meta:
        verbose_name = _("record of provision")
        verbose_name_plural = _("records of provision")
        ordering = ["-provided_at", "-pk"]
        constraints = [
            # A retried task or export records one provision, not two.
            models.UniqueConstraint(
                fields=["food_bank", "trigger_type", "trigger_id", "subject_id", "recipient_name"],
                name="provision_record_once_per_trigger",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provided_at:%Y-%m-%d} #{self.subject_id} → {self.recipient_name}"


class StoredFile(models.Model):
    """A file kept in the database (``foodbank.storage.DatabaseStorage``, ``FILE_STORAGE=database``):
    every web and worker replica reads what any of them wrote, with no shared disk (docs/storage.md)."""

    name = models.CharField(max_length=255, unique=True)
    content = models.BinaryField()
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
