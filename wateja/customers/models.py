"""Customer base models. Every row belongs to one business (BusinessOwned)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from wateja.tenants.models import Location
from wateja.tenants.scoping import BusinessOwned, tenant_key


class Source(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    IMPORT = "import", _("Import")
    REFERRAL = "referral", _("Referral")
    WEB = "web", _("Web enrolment")
    PARTNER = "partner", _("Partner")
    API = "api", _("API")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")


PREFERRED_CHANNELS = [
    ("sms", _("SMS")),
    ("email", _("E-mail")),
    ("whatsapp", _("WhatsApp")),
    ("telegram", _("Telegram")),
    ("viber", _("Viber")),
]


class Customer(BusinessOwned):
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("E.164"))
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=5, choices=settings.LANGUAGES, blank=True
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=PREFERRED_CHANNELS, blank=True
    )
    birth_day = models.PositiveSmallIntegerField(_("birthday: day"), null=True, blank=True)
    birth_month = models.PositiveSmallIntegerField(_("birthday: month"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birthday: year"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    notes = models.TextField(_("service nuances"), blank=True)
    # what the customer said they would like (the "which services" letter, a survey), as the
    # business's own words; segments filter on them
    interests = models.JSONField(_("interests"), default=list, blank=True)
    # the interests as segments match them (trimmed, casefolded, once each), written with them
    # by customers.services.interests_set; matched in SQL (`?|` on PostgreSQL, with its GIN
    # index customer_interest_keys)
    interest_keys = models.JSONField(default=list, blank=True, editable=False)
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.WALK_IN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_blocked = models.BooleanField(_("blocked"), default=False)
    erased_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    name_key = models.CharField(max_length=200, blank=True)
    # the import that created this customer (None: enrolled another way); lets a whole import
    # be undone while its customers did nothing, and the list show what one import brought
    import_job = models.ForeignKey(
        "ImportJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        db_constraint=False,
    )
    # the row of that import's file this customer came from, so an erasure can take their row
    # out of the import's problem reports (None: not imported, or imported before it was kept)
    import_row = models.PositiveIntegerField(null=True, blank=True)
    # stamps carried over from the system used before (the stamp card counts them as visits)
    stamps_carried = models.PositiveIntegerField(
        _("stamps carried over"),
        default=0,
        help_text=_("stamps collected in the previous system; the stamp card counts them"),
    )

    # derived from orders; kept current by services, recomputable by `wateja customers-stats`
    first_purchase_at = models.DateTimeField(null=True, blank=True)
    last_purchase_at = models.DateTimeField(null=True, blank=True, db_index=True)
    purchase_count = models.PositiveIntegerField(default=0)
    total_spent_minor = models.BigIntegerField(default=0)
    average_order_minor = models.BigIntegerField(default=0)
    visit_interval_days = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("average days between visits")
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        constraints = [
            tenant_key("customers_customer"),
            models.UniqueConstraint(
                fields=["business", "phone"], condition=~Q(phone=""), name="customer_phone_unique"
            ),
            models.UniqueConstraint(
                fields=["business", "email"], condition=~Q(email=""), name="customer_email_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["business", "name_key"], name="customer_name_key"),
            models.Index(fields=["business", "city"], name="customer_city"),
            # segments: the filters that can match few of a big base, and a cashier's
            # segment page (by name); without them a segment's page walks the whole base
            models.Index(fields=["business", "purchase_count"], name="customer_purchases"),
            models.Index(fields=["business", "total_spent_minor"], name="customer_spent"),
            models.Index(fields=["business", "birth_month"], name="customer_birth_month"),
            models.Index(fields=["business", "language"], name="customer_language"),
            models.Index(fields=["business", "source"], name="customer_source"),
            models.Index(fields=["business", "name", "id"], name="customer_by_name"),
            models.Index(F("business"), Upper("city"), name="customer_city_iexact"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.erased_at is None and self.merged_into_id is None


class Tag(BusinessOwned):
    name = models.CharField(_("tag"), max_length=50)

    class Meta:
        verbose_name = _("tag")
        constraints = [
            tenant_key("customers_tag"),
            models.UniqueConstraint(fields=["business", "name"], name="tag_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class CustomerTag(BusinessOwned):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="tag_links", db_constraint=False
    )
    tag = models.ForeignKey(
        Tag, on_delete=models.CASCADE, related_name="customer_links", db_constraint=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "customer", "tag"], name="customer_tag_once"
            )
        ]


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    BLOCKED = "blocked", _("Blocked")
    REPLACED = "replaced", _("Replaced")


class Card(BusinessOwned):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="cards", db_constraint=False
    )
    number = models.CharField(_("card number"), max_length=20)
    status = models.CharField(
        _("status"), max_length=10, choices=CardStatus.choices, default=CardStatus.ACTIVE
    )
    issued_at = models.DateTimeField(auto_now_add=True)
    # named in every link to the card's page; bumped to make all links sent so far stop
    # working (customers/links.py)
    link_version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("loyalty card")
        verbose_name_plural = _("loyalty cards")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["business", "number"], name="card_number_unique")
        ]

    def __str__(self) -> str:
        return self.number


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    WHATSAPP = "whatsapp", _("WhatsApp")
    TELEGRAM = "telegram", _("Telegram")
    VIBER = "viber", _("Viber")
    PARTNER = "partner", _("Sharing with a partner")
    PUBLIC = "public", _("My name shown in public (leaderboards, customer of the month)")


class ConsentSource(models.TextChoices):
    WEB = "web", _("Enrolment page")
    STAFF = "staff", _("Staff, in person")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe / STOP")
    SMS_REPLY = "sms_reply", _("SMS reply (START)")
    MESSENGER = "messenger", _("Chat app (WhatsApp, Telegram, Viber)")


class Consent(BusinessOwned):
    """An append-only record: the latest row per (customer, channel, purpose) is the state.

    Keeps what the law asks a business to prove: the text shown, when, how and by whom."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="consents", db_constraint=False
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=100, default="marketing")
    granted = models.BooleanField(_("granted"))
    text = models.TextField(_("text shown"), blank=True)
    source = models.CharField(_("source"), max_length=12, choices=ConsentSource.choices)
    recorded_at = models.DateTimeField(db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # the API key that posted it (source "api"); a revoked key keeps its row, so this stays
    api_key = models.ForeignKey(
        "tenants.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    # the proof of a consent given on the enrolment page: where from, in which language, and
    # how the phone was checked ({"method": "sms_code", "verified_at": …, "pending_id": …} or
    # {"method": "none"}); empty for consents recorded by staff, imports and the API
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    language = models.CharField(max_length=5, blank=True)
    verification = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("consent")
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(
                fields=["business", "customer", "channel", "purpose"], name="consent_state"
            )
        ]


class PendingStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the code")
    VERIFIED = "verified", _("Verified")
    VOID = "void", _("Void")


class PendingEnrolment(BusinessOwned):
    """An enrolment waiting for its phone to be proved by a one-time SMS code (double
    opt-in). It holds what the page was given (the form, the consents asked with their exact
    wording and language, the address and browser) until the right code turns it into a
    customer; nothing about the customer exists before. Only a keyed digest of the code is
    kept. Too many wrong codes, or the time running out, make it void."""

    phone = models.CharField(max_length=20, help_text=_("E.164"))
    data = models.JSONField(default=dict)  # the profile fields the form gave
    consents = models.JSONField(default=dict)  # channel → {"granted": bool, "text": str}
    language = models.CharField(max_length=5, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    code_digest = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=PendingStatus.choices, default=PendingStatus.PENDING
    )
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("enrolment waiting for its code")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["business", "phone"], name="pending_enrolment_phone")]


class InteractionKind(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    MESSAGE = "message", _("Message")
    COMPLAINT = "complaint", _("Complaint")
    SERVICE_REQUEST = "service", _("Service request")
    NOTE = "note", _("Note")
    CARD = "card", _("Card event")
    CONSENT = "consent", _("Consent")
    PROFILE = "profile", _("Profile change")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")


class Interaction(BusinessOwned):
    """One event on a customer's timeline. Complaints and service requests are also tasks."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="interactions", db_constraint=False
    )
    kind = models.CharField(_("kind"), max_length=10, choices=InteractionKind.choices)
    summary = models.CharField(_("summary"), max_length=300)
    body = models.TextField(_("details"), blank=True)
    occurred_at = models.DateTimeField(_("when"), db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=TaskStatus.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reference = models.CharField(max_length=100, blank=True, help_text="e.g. order:123")
    # What happened, as a code and its facts (customers.events renders them in the reader's
    # language); blank for a note staff typed, whose summary is their own words.
    event = models.CharField(max_length=40, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("interaction")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["business", "status"], name="interaction_status"),
            models.Index(fields=["business", "customer", "occurred_at"], name="timeline"),
        ]
        constraints = [tenant_key("customers_interaction")]

    @property
    def is_task(self) -> bool:
        return self.kind in (InteractionKind.COMPLAINT, InteractionKind.SERVICE_REQUEST)


class Segment(BusinessOwned):
    """A saved filter over customers (see customers.segments for the filter keys)."""

    name = models.CharField(_("name"), max_length=100)
    filters = models.JSONField(_("filters"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # how many customers matched when last counted (customers.segments.segment_count_refresh:
    # on save and by the worker), so the segments page never counts on each view
    counted = models.PositiveIntegerField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("segment")
        ordering = ["name"]
        constraints = [
            tenant_key("customers_segment"),
            models.UniqueConstraint(fields=["business", "name"], name="segment_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    PREVIEWED = "previewed", _("Checked")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    UNDONE = "undone", _("Undone")


class FileRemoval(models.TextChoices):
    RETENTION = "retention", _("Deleted after the retention period")
    ERASURE = "erasure", _("Deleted because a customer in it was erased")


class ImportJob(BusinessOwned):
    """A spreadsheet being imported: the stored file, the confirmed column mapping, and how
    far the import got (it resumes from `next_row` and is idempotent per file hash)."""

    file_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=500)
    file_sha256 = models.CharField(max_length=64)
    file_format = models.CharField(max_length=10)
    encoding = models.CharField(max_length=20, blank=True)
    mapping = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.IMPORT)
    total_rows = models.PositiveIntegerField(default=0)
    next_row = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # the uploaded file and its problem reports are deleted IMPORT_RETENTION_DAYS after they
    # were stored (None: when the import was created), or at once when a customer in them is
    # erased; the counts stay, and the screens say why the file is gone
    file_stored_at = models.DateTimeField(null=True, blank=True)
    file_removed_at = models.DateTimeField(null=True, blank=True)
    file_removed_reason = models.CharField(
        max_length=10, choices=FileRemoval.choices, blank=True, default=""
    )

    class Meta:
        verbose_name = _("import")
        ordering = ["-id"]
        constraints = [
            tenant_key("customers_importjob"),
            models.UniqueConstraint(fields=["business", "file_sha256"], name="import_file_once"),
        ]


class ContactKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")


class ContactSource(models.TextChoices):
    MERGE = "merge", _("Kept from a merged record")
    STAFF = "staff", _("Added by staff")


class CustomerContact(BusinessOwned):
    """A phone number or e-mail address a customer has besides the one on their profile, e.g.
    the other record's contacts kept when two records were merged. The till and the API find a
    customer by any of them. A removed contact (its merge undone) keeps its row."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", db_constraint=False
    )
    kind = models.CharField(_("kind"), max_length=5, choices=ContactKind.choices)
    value = models.CharField(_("value"), max_length=254)
    source = models.CharField(
        _("source"), max_length=5, choices=ContactSource.choices, default=ContactSource.STAFF
    )
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("contact")
        ordering = ["kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "kind", "value"],
                condition=Q(removed_at__isnull=True),
                name="customer_contact_unique",
            )
        ]
        indexes = [models.Index(fields=["business", "customer"], name="customer_contacts")]

    def __str__(self) -> str:
        return self.value


class CustomerMerge(BusinessOwned):
    """One merge of `drop` into `keep`, with everything needed to reverse it exactly
    (`snapshot`: each part — the customer's own, orders, wallet — records what it moved)."""

    keep = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    drop = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    snapshot = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("merge")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["business", "created_at"], name="customer_merges")]


class DuplicateKeyKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    NAME = "name", _("Name")


class DuplicateKey(BusinessOwned):
    """A blocking key of an active customer (customers.duplicates): the national number of a
    phone they have (`block` = its last 9 digits), or their name (`block` = the casefolded
    city and the first letter of the name key, `value` = the name key). Customers sharing a
    block are compared when one of them is written, so finding duplicates never reads the
    whole base."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,  # duplicate_key_customer
    )
    kind = models.CharField(max_length=5, choices=DuplicateKeyKind.choices)
    block = models.CharField(max_length=120)
    value = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["business", "kind", "block", "value"], name="duplicate_key"),
            models.Index(fields=["customer"], name="duplicate_key_customer"),
        ]


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DISMISSED = "dismissed", _("Not the same person")


class DuplicateCandidate(BusinessOwned):
    """Two active customers who are likely the same person, found when either was written and
    stored (customers.duplicates), so the duplicates list is a read of an index. `customer_a`
    has the lower id. `score` is 1 for the same phone, the name similarity otherwise."""

    customer_a = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    customer_b = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,  # duplicate_candidate_b
    )
    reason = models.CharField(max_length=30)
    score = models.FloatField()
    status = models.CharField(
        max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN
    )
    found_at = models.DateTimeField()

    class Meta:
        ordering = ["-score", "customer_a", "customer_b"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "customer_a", "customer_b"], name="duplicate_pair_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["business", "status", "-score", "customer_a", "customer_b"],
                name="duplicate_list",
            ),
            models.Index(fields=["customer_b"], name="duplicate_candidate_b"),
        ]
