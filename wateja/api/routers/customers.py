"""Customers, cards, interactions and tasks, consents, segments, merge and privacy requests.

No `from __future__ import annotations` here: Ninja reads the Query[...] annotation at import.
"""

from datetime import datetime
from typing import Annotated, Any

from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, field_validator

from wateja.api.auth import current_business, require_role
from wateja.api.pagination import CursorPagination, decode_keyset, encode_keyset
from wateja.api.schemas import Id, RequestSchema, StrictSchema, omittable
from wateja.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from wateja.customers.access import (
    LIMITED_PAGE_SIZE,
    customer_find,
    customers_listed_record,
    email_masked,
    full_view,
    phone_masked,
)
from wateja.customers.links import card_page_url as pocket_card_url
from wateja.customers.merging import (
    customer_merge_record,
    customer_merge_undo,
    merge_can_undo,
    merge_preview,
    merge_undo_until,
)
from wateja.customers.models import (
    Card,
    CardStatus,
    Channel,
    Consent,
    ConsentSource,
    Customer,
    CustomerMerge,
    Interaction,
    InteractionKind,
    Segment,
    Source,
    TaskStatus,
)
from wateja.customers.privacy import customer_data_export, customer_erase
from wateja.customers.segments import (
    segment_count_refresh,
    segment_customers,
    segment_save,
    segment_size,
)
from wateja.customers.selectors import (
    active_customers,
    card_lookup,
    consent_state,
    customer_search,
    duplicate_candidates,
    open_tasks,
)
from wateja.customers.services import (
    card_issue,
    consent_record,
    customer_create,
    customer_tags,
    customer_update,
    interaction_add,
    tags_set,
    task_update,
)
from wateja.messaging.automations import welcome_now
from wateja.tenants.models import ApiKey, Location
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.wallet.services import wallet_merge_preview

router = Router(tags=["customers"])


class CustomerBriefOut(Schema):
    """A customer as a cashier or viewer key lists them: enough to serve them at the till,
    with the contacts masked ("+254 ••• 678") and no e-mail, birthday, notes or tags."""

    id: int
    name: str
    phone_masked: str
    email_masked: str
    card_number: str | None
    language: str
    preferred_channel: str
    purchase_count: int
    total_spent_minor: int
    last_purchase_at: datetime | None
    currency: str


class Birthday(Schema):
    day: int | None = None
    month: int | None = None
    year: int | None = None


class CustomerOut(Schema):
    id: int
    name: str
    phone: str
    email: str
    city: str
    language: str
    preferred_channel: str
    birthday: Birthday
    gender: str
    notes: str
    source: str
    tags: list[str]
    card_number: str | None
    created_at: datetime
    first_purchase_at: datetime | None
    last_purchase_at: datetime | None
    purchase_count: int
    total_spent_minor: int
    average_order_minor: int
    visit_interval_days: int | None
    currency: str
    erased: bool
    merged_into: int | None
    card_page_url: str | None = Field(
        None, description="The customer's pocket card link, to send them (valid for some days)"
    )

    @staticmethod
    def resolve_card_page_url(obj: Customer) -> str | None:
        cards = [c for c in obj.cards.all() if c.status == CardStatus.ACTIVE]
        if not cards or not obj.is_active:
            return None
        return pocket_card_url(cards[0])

    @staticmethod
    def resolve_birthday(obj: Customer) -> dict[str, int | None]:
        return {"day": obj.birth_day, "month": obj.birth_month, "year": obj.birth_year}

    @staticmethod
    def resolve_tags(obj: Customer) -> list[str]:
        prefetched = getattr(obj, "_prefetched_objects_cache", {})
        if "tag_links" in prefetched:  # the list prefetches them: no query per customer
            return sorted(link.tag.name for link in obj.tag_links.all())
        return customer_tags(obj)

    @staticmethod
    def resolve_card_number(obj: Customer) -> str | None:
        cards = [c for c in obj.cards.all() if c.status == CardStatus.ACTIVE]
        return cards[0].number if cards else None

    @staticmethod
    def resolve_currency(obj: Customer) -> str:
        return obj.business.currency

    @staticmethod
    def resolve_erased(obj: Customer) -> bool:
        return obj.erased_at is not None

    @staticmethod
    def resolve_merged_into(obj: Customer) -> int | None:
        return obj.merged_into_id


BirthDay = Annotated[int, Field(ge=1, le=31)]
BirthMonth = Annotated[int, Field(ge=1, le=12)]
BirthYear = Annotated[int, Field(ge=1900, le=2100)]
CLEARS = "null or an empty string clears it"


class CustomerIn(StrictSchema):
    name: str = Field(min_length=1, max_length=200)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    city: str = Field("", max_length=100)
    language: str = Field("", max_length=5)
    preferred_channel: str = Field(
        "",
        max_length=10,
        description="sms, email, whatsapp, telegram or viber; empty: no preference. A chat "
        "app the customer cannot be reached on falls back to the next channel they allow.",
    )
    birth_day: BirthDay | None = None
    birth_month: BirthMonth | None = None
    birth_year: BirthYear | None = None
    gender: str = ""
    notes: str = Field("", max_length=5000)
    tags: list[str] = Field(default_factory=list)
    source: Source = Source.API
    location_id: Id | None = None
    consents: dict[Channel, bool] = Field(
        default_factory=dict,
        description="channel → granted, with the text you showed in consent_text",
    )
    consent_text: str = Field("", max_length=2000)


class CustomerPatch(StrictSchema):
    """Only the fields sent change. The name cannot be null; null clears the other text
    fields, the birthday parts and the tags."""

    name: str = omittable(min_length=1, max_length=200, description="cannot be null")
    phone: str | None = Field(None, max_length=40, description=CLEARS)
    email: str | None = Field(None, max_length=254, description=CLEARS)
    city: str | None = Field(None, max_length=100, description=CLEARS)
    language: str | None = Field(None, max_length=5, description=CLEARS)
    preferred_channel: str | None = Field(None, max_length=10, description=CLEARS)
    birth_day: BirthDay | None = Field(None, description="null clears it")
    birth_month: BirthMonth | None = Field(None, description="null clears it")
    birth_year: BirthYear | None = Field(None, description="null clears it")
    gender: str | None = Field(None, max_length=10, description=CLEARS)
    notes: str | None = Field(None, max_length=5000, description=CLEARS)
    tags: list[str] | None = Field(None, description="replaces the tags; null or [] clears them")

    @field_validator("phone", "email", "city", "language", "preferred_channel", "gender", "notes")
    @classmethod
    def _null_clears_text(cls, value: str | None) -> str:
        return "" if value is None else value

    @field_validator("tags")
    @classmethod
    def _null_clears_tags(cls, value: list[str] | None) -> list[str]:
        return [] if value is None else value


class CardOut(Schema):
    id: int
    number: str
    status: str
    issued_at: datetime
    customer_id: int


class CardIssueIn(StrictSchema):
    replace: bool = True


class InteractionOut(Schema):
    id: int
    customer_id: int
    kind: str
    summary: str
    body: str
    occurred_at: datetime
    status: str
    owner_id: int | None
    due_at: datetime | None
    resolved_at: datetime | None
    reference: str


class InteractionIn(StrictSchema):
    kind: InteractionKind
    summary: str = Field(min_length=1, max_length=300)
    body: str = Field("", max_length=10000)
    occurred_at: datetime | None = Field(None, description="now when empty")
    due_at: datetime | None = None
    owner_id: Id | None = Field(None, description="a staff member's user id")


class TaskPatch(StrictSchema):
    """Only the fields sent change; null clears the owner or the due date."""

    status: TaskStatus = omittable(description="cannot be null")
    owner_id: Id | None = Field(None, description="null: nobody")
    due_at: datetime | None = Field(None, description="null: no due date")


class ConsentOut(Schema):
    id: int
    channel: str
    purpose: str
    granted: bool
    text: str
    source: str
    recorded_at: datetime
    api_key_id: int | None = Field(description="the API key that posted it (source api)")


class ConsentIn(StrictSchema):
    """Consent to `partner` sharing needs a manager key. A consent posted here is always
    recorded with source `api` and the key that posted it: `source` may be left out or say
    "api"; anything else (web, staff, sms_reply…) is refused with 422
    `consent_source_not_allowed`, since those sources are proved elsewhere."""

    channel: Channel
    granted: bool
    purpose: str = Field("marketing", min_length=1, max_length=100)
    text: str = Field("", max_length=2000)
    source: str = Field(ConsentSource.API.value, max_length=20, description='only "api"')


class MergeIn(StrictSchema):
    drop_id: Id


class MergedCustomerOut(CustomerOut):
    merge_id: int


class MergeSideOut(Schema):
    id: int
    name: str
    phones: list[str]
    emails: list[str]
    city: str
    birthday: str
    language: str
    gender: str
    cards: list[str]
    purchase_count: int
    total_spent_minor: int
    tags: list[str]
    consents: dict[str, bool]


class MergeBalanceOut(Schema):
    keep: int
    drop: int
    merged: int
    pending: int


class MergePreviewOut(Schema):
    keep: MergeSideOut
    drop: MergeSideOut
    merged: MergeSideOut
    conflicts: list[str]
    balances: dict[str, MergeBalanceOut]
    currency: str


class MergeOut(Schema):
    id: int
    keep_id: int
    drop_id: int
    keep_name: str
    drop_name: str
    created_at: datetime
    undone_at: datetime | None
    undo_until: datetime
    can_undo: bool

    @staticmethod
    def resolve_keep_name(obj: CustomerMerge) -> str:
        return obj.keep.name

    @staticmethod
    def resolve_drop_name(obj: CustomerMerge) -> str:
        return obj.drop.name

    @staticmethod
    def resolve_undo_until(obj: CustomerMerge) -> datetime:
        return merge_undo_until(obj)

    @staticmethod
    def resolve_can_undo(obj: CustomerMerge) -> bool:
        return merge_can_undo(obj)


class SegmentOut(Schema):
    id: int
    name: str
    filters: dict[str, Any]
    size: int = Field(description="how many customers matched when last counted (`counted_at`)")
    counted_at: datetime | None

    @staticmethod
    def resolve_size(obj: Segment) -> int:
        return segment_size(obj)


class SegmentIn(StrictSchema):
    name: str = Field(min_length=1, max_length=100)
    filters: dict[str, Any]


class CustomerFilters(RequestSchema):
    q: str = ""
    city: str = ""
    tag: str = ""
    segment_id: Id | None = None


def _key(request: HttpRequest) -> ApiKey:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _customer(request: HttpRequest, customer_id: int) -> Customer:
    return get_owned(Customer, current_business(request), pk=customer_id)


def _with_cards(queryset: Any) -> Any:
    return queryset.select_related("business").prefetch_related(
        Prefetch("cards", queryset=Card.objects.order_by("-id")), "tag_links__tag"
    )


def _staff_user(request: HttpRequest, user_id: int | None) -> Any:
    if user_id is None:
        return None
    from wateja.tenants.models import Staff

    staff = (
        Staff.objects.for_business(current_business(request))
        .filter(user_id=user_id)
        .select_related("user")
        .first()
    )
    if staff is None:
        raise ValidationFailed.fields(
            _("Some fields are not valid."), {"owner_id": _("Not a staff member here.")}
        )
    return staff.user


def _brief(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "name": customer.name,
        "phone_masked": phone_masked(customer.phone),
        "email_masked": email_masked(customer.email),
        "card_number": CustomerOut.resolve_card_number(customer),
        "language": customer.language,
        "preferred_channel": customer.preferred_channel,
        "purchase_count": customer.purchase_count,
        "total_spent_minor": customer.total_spent_minor,
        "last_purchase_at": customer.last_purchase_at,
        "currency": customer.business.currency,
    }


class CustomerPagination(CursorPagination):
    """The customer list's pages. A cashier or viewer key gets pages of at most
    LIMITED_PAGE_SIZE customers in the brief form; every page read by any key is counted in
    the audit log (one row per key per minute, see wateja.customers.access)."""

    def page_size(self, pagination: CursorPagination.Input, request: HttpRequest) -> int:
        if full_view(_key(request).role):
            return super().page_size(pagination, request)
        if pagination.limit is not None and pagination.limit > LIMITED_PAGE_SIZE:
            raise Forbidden(
                _("A cashier or viewer key lists at most %(max)s customers a page.")
                % {"max": LIMITED_PAGE_SIZE},
                code="page_size_limited",
                details={"max": LIMITED_PAGE_SIZE, "role": _key(request).role},
            )
        return pagination.limit or LIMITED_PAGE_SIZE

    def paginate_queryset(
        self,
        queryset: Any,
        pagination: CursorPagination.Input,
        request: HttpRequest,
        **params: Any,
    ) -> dict[str, Any]:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        key = _key(request)
        filters: CustomerFilters | None = params.get("filters")
        used = filters.dict() if filters is not None else {}
        if pagination.cursor:
            used["page"] = "next"
        customers_listed_record(
            business=key.business, channel="api", count=len(page["items"]), filters=used,
            api_key=key,
        )  # fmt: skip
        if not full_view(key.role):
            page["items"] = [_brief(customer) for customer in page["items"]]
        return page


@router.get("/customers", response=list[CustomerOut | CustomerBriefOut])
@paginate(CustomerPagination)
def customer_list(request: HttpRequest, filters: Query[CustomerFilters]) -> Any:
    """Customers by id. A manager or owner key gets every field; a cashier or viewer key gets
    the brief form (masked contacts, no e-mail, birthday, notes or tags) in pages of at most
    20, and its search `q` finds a whole card number, phone number or e-mail address or part
    of a name (never part of a contact). Every page is written to the audit log."""
    business = current_business(request)
    if filters.q:
        if full_view(_key(request).role):
            found = customer_search(business, filters.q, limit=200)
        else:
            found = customer_find(business, filters.q, limit=200)
        queryset = active_customers(business).filter(pk__in=[c.pk for c in found])
    elif filters.segment_id is not None:
        segment = get_owned(Segment, business, pk=filters.segment_id)
        queryset = segment_customers(business, segment.filters)
    else:
        queryset = segment_customers(business, {"city": filters.city, "tag": filters.tag})
    return _with_cards(queryset)


@router.post("/customers", response={201: CustomerOut})
def customer_post(request: HttpRequest, payload: CustomerIn) -> Status[Any]:
    require_role(request, Role.CASHIER)
    business = current_business(request)
    data = payload.dict()
    location_id = data.pop("location_id")
    consents = data.pop("consents")
    text = data.pop("consent_text")
    location = get_owned(Location, business, pk=location_id) if location_id else None
    key = _key(request)
    with transaction.atomic():  # a refused consent (partner, by a cashier) enrols no one
        customer = customer_create(business=business, location=location, **data)
        for channel, granted in consents.items():
            consent_record(
                customer=customer, channel=channel, granted=granted, text=text,
                source=ConsentSource.API, api_key=key, role=key.role,
            )  # fmt: skip
    welcome_now(business=business)
    return Status(201, _with_cards(Customer.objects.filter(pk=customer.pk)).get())


@router.get("/customers/duplicates")
def customer_duplicates(
    request: HttpRequest, limit: int = 100, cursor: str | None = None
) -> dict[str, Any]:
    """Likely duplicates as stored when customers were written, surest first: `pairs` (a < b,
    reason, score) and `next_cursor` for the next page (null on the last)."""
    require_role(request, Role.MANAGER)
    limit = min(max(limit, 1), 500)
    after = decode_keyset(cursor, "dup", (float, int, int)) if cursor else None
    pairs = duplicate_candidates(current_business(request), limit=limit + 1, after=after)
    more = len(pairs) > limit
    pairs = pairs[:limit]
    last = pairs[-1] if more else None
    return {
        "pairs": pairs,
        "next_cursor": encode_keyset("dup", (last["score"], last["a"], last["b"]))
        if last
        else None,
    }


@router.get("/customers/merges", response=list[MergeOut])
@paginate(CursorPagination)
def merge_list(request: HttpRequest) -> Any:
    """Merges made in this business (newest last, as every list), undone ones included."""
    require_role(request, Role.MANAGER)
    return CustomerMerge.objects.for_business(current_business(request)).select_related(
        "keep", "drop"
    )


@router.get("/customers/merges/{merge_id}", response=MergeOut)
def merge_get(request: HttpRequest, merge_id: int) -> CustomerMerge:
    require_role(request, Role.MANAGER)
    return get_owned(CustomerMerge, current_business(request), pk=merge_id)


@router.post("/customers/merges/{merge_id}/undo", response=MergeOut)
def merge_undo_post(request: HttpRequest, merge_id: int) -> CustomerMerge:
    """Undo a merge (within 30 days; doing it again changes nothing). 409
    `merge_undo_expired` after that, `merge_undo_balance_spent` when the kept customer has
    spent the moved balance since, `merge_undo_contact_taken` when the other record's phone
    or e-mail now belongs to someone else."""
    require_role(request, Role.MANAGER)
    merge = get_owned(CustomerMerge, current_business(request), pk=merge_id)
    return customer_merge_undo(merge=merge, api_key=_key(request))


def _shown(request: HttpRequest, customer_id: int) -> Any:
    """One customer as the key's role may see them: whole for a manager or owner, brief (masked
    contacts) for a cashier or viewer, so walking the ids one by one is no way around the
    list's limits."""
    customer = _with_cards(Customer.objects.filter(pk=customer_id)).get()
    return customer if full_view(_key(request).role) else _brief(customer)


@router.get("/customers/{customer_id}", response=CustomerOut | CustomerBriefOut)
def customer_get(request: HttpRequest, customer_id: int) -> Any:
    return _shown(request, _customer(request, customer_id).pk)


@router.patch("/customers/{customer_id}", response=CustomerOut)
def customer_patch(request: HttpRequest, customer_id: int, payload: CustomerPatch) -> Customer:
    require_role(request, Role.CASHIER)
    customer = _customer(request, customer_id)
    changes = payload.dict(exclude_unset=True)
    tags = changes.pop("tags", None)
    customer_update(customer=customer, **changes)
    if tags is not None:
        tags_set(customer=customer, tags=tags)
    return _with_cards(Customer.objects.filter(pk=customer.pk)).get()  # type: ignore[no-any-return]


@router.get("/customers/{customer_id}/merge-preview", response=MergePreviewOut)
def customer_merge_preview(
    request: HttpRequest, customer_id: int, other: Id | None = None
) -> dict[str, Any]:
    """What merging customer `other` into this one would give, changing nothing: both records
    and the result side by side, the fields where they differ, and the balances."""
    require_role(request, Role.MANAGER)
    keep = _customer(request, customer_id)
    if other is None:
        raise DomainError(_("Choose the customer to compare with."), code="merge_other_missing")
    drop = _customer(request, other)
    preview = merge_preview(keep=keep, drop=drop)
    preview["balances"] = wallet_merge_preview(keep, drop)
    preview["currency"] = keep.business.currency
    return preview


@router.post("/customers/{customer_id}/merge", response=MergedCustomerOut)
def customer_merge_post(request: HttpRequest, customer_id: int, payload: MergeIn) -> Customer:
    """Merge customer `drop_id` into this one; `merge_id` names the record that can undo it."""
    require_role(request, Role.MANAGER)
    keep = _customer(request, customer_id)
    drop = _customer(request, payload.drop_id)
    record = customer_merge_record(keep=keep, drop=drop, api_key=_key(request))
    merged: Customer = _with_cards(Customer.objects.filter(pk=record.keep_id)).get()
    merged.merge_id = record.pk  # type: ignore[attr-defined]
    return merged


@router.get("/customers/{customer_id}/export")
def customer_export(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    require_role(request, Role.MANAGER)
    return customer_data_export(customer=_customer(request, customer_id), api_key=_key(request))


@router.post("/customers/{customer_id}/erase", response=CustomerOut)
def customer_erase_post(request: HttpRequest, customer_id: int) -> Customer:
    require_role(request, Role.MANAGER)
    erased = customer_erase(customer=_customer(request, customer_id), api_key=_key(request))
    return _with_cards(Customer.objects.filter(pk=erased.pk)).get()  # type: ignore[no-any-return]


@router.get("/customers/{customer_id}/cards", response=list[CardOut])
def card_list(request: HttpRequest, customer_id: int) -> Any:
    return _customer(request, customer_id).cards.order_by("-id")


@router.post("/customers/{customer_id}/cards", response={201: CardOut})
def card_post(request: HttpRequest, customer_id: int, payload: CardIssueIn) -> Status[Any]:
    require_role(request, Role.CASHIER)
    return Status(
        201, card_issue(customer=_customer(request, customer_id), replace=payload.replace)
    )


@router.get("/cards/{number}", response=CustomerOut | CustomerBriefOut)
def card_get(request: HttpRequest, number: str) -> Any:
    card = card_lookup(current_business(request), number)
    if card is None or not card.customer.is_active:
        raise NotFound(_("No customer has this card."), code="card_not_found")
    return _shown(request, card.customer_id)


@router.get("/customers/{customer_id}/interactions", response=list[InteractionOut])
@paginate(CursorPagination)
def interaction_list(request: HttpRequest, customer_id: int) -> Any:
    return Interaction.objects.filter(customer=_customer(request, customer_id))


@router.post("/customers/{customer_id}/interactions", response={201: InteractionOut})
def interaction_post(request: HttpRequest, customer_id: int, payload: InteractionIn) -> Status[Any]:
    require_role(request, Role.CASHIER)
    customer = _customer(request, customer_id)
    interaction = interaction_add(
        customer=customer,
        kind=payload.kind,
        summary=payload.summary,
        body=payload.body,
        occurred_at=payload.occurred_at,
        due_at=payload.due_at,
        owner=_staff_user(request, payload.owner_id),
    )
    return Status(201, interaction)


@router.patch("/interactions/{interaction_id}", response=InteractionOut)
def task_patch(request: HttpRequest, interaction_id: int, payload: TaskPatch) -> Interaction:
    require_role(request, Role.CASHIER)
    task = get_owned(Interaction, current_business(request), pk=interaction_id)
    changes = payload.dict(exclude_unset=True)
    return task_update(
        task=task,
        status=changes.get("status"),
        owner=_staff_user(request, changes.get("owner_id")),
        clear_owner="owner_id" in changes and changes["owner_id"] is None,
        due_at=changes.get("due_at"),
        clear_due="due_at" in changes and changes["due_at"] is None,
    )


@router.get("/tasks", response=list[InteractionOut])
def task_list(request: HttpRequest) -> Any:
    return open_tasks(current_business(request))[:500]


class ConsentsOut(Schema):
    current: list[ConsentOut]
    history: list[ConsentOut]


@router.get("/customers/{customer_id}/consents", response=ConsentsOut)
def consent_list(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    customer = _customer(request, customer_id)
    return {
        "current": list(consent_state(customer).values()),
        "history": Consent.objects.filter(customer=customer).order_by("-recorded_at", "-id"),
    }


@router.post("/customers/{customer_id}/consents", response={201: ConsentOut})
def consent_post(request: HttpRequest, customer_id: int, payload: ConsentIn) -> Status[Any]:
    require_role(request, Role.CASHIER)
    if payload.source != ConsentSource.API:
        message = _("A consent posted through the API is recorded with the source “api”.")
        raise ValidationFailed(
            message,
            code="consent_source_not_allowed",
            details={"fields": {"source": [message]}, "allowed": [ConsentSource.API.value]},
        )
    key = _key(request)
    consent = consent_record(
        customer=_customer(request, customer_id),
        channel=payload.channel,
        granted=payload.granted,
        purpose=payload.purpose,
        text=payload.text,
        source=ConsentSource.API,
        api_key=key,
        role=key.role,
    )
    return Status(201, consent)


@router.get("/segments", response=list[SegmentOut])
def segment_list(request: HttpRequest) -> Any:
    return Segment.objects.for_business(current_business(request)).select_related("business")


@router.post("/segments", response={201: SegmentOut})
def segment_post(request: HttpRequest, payload: SegmentIn) -> Status[Any]:
    require_role(request, Role.MANAGER)
    segment = segment_save(
        business=current_business(request), name=payload.name, filters=payload.filters
    )
    return Status(201, segment)


@router.get("/segments/{segment_id}", response=SegmentOut)
def segment_get(request: HttpRequest, segment_id: int) -> Segment:
    """One segment, counted now (the list shows the counts kept from the last count)."""
    segment = get_owned(Segment, current_business(request), pk=segment_id)
    segment_count_refresh(segment)
    return segment
