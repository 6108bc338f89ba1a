"""Staff screens for spreadsheets: upload → choose columns → check → import → result; export
of the base (with filters) and of the partner share file. Managers and owners only: these
files hold the customers' personal data."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from wateja.core.errors import DomainError
from wateja.core.spreadsheet import column_letter
from wateja.customers.exporting import ExportFile, customers_export
from wateja.customers.importing import (
    FIELD_LABELS,
    OPENING_MONEY,
    ImportHasActivity,
    import_errors_file,
    import_jobs,
    import_preview,
    import_sample_rows,
    import_sheet_choose,
    import_start,
    import_undo,
    import_upload,
    job_mapping,
    max_bytes,
)
from wateja.customers.models import ImportJob, ImportStatus, Segment, Source
from wateja.customers.partners import partner_share_export
from wateja.dbrouting import reporting_chunks, reporting_reads
from wateja.tenants.models import Business
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.web.confirm import confirm_first
from wateja.web.permissions import staff_required
from wateja.web.templatetags.wateja_tags import amount, number

FORMAT_CHOICES = [("csv", "CSV"), ("xlsx", "Excel (XLSX)")]


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


def _job_or_404(request: HttpRequest, job_id: int) -> ImportJob:
    try:
        return get_owned(ImportJob, _business(request), pk=job_id)
    except DomainError:
        raise Http404 from None


def _download(export: ExportFile) -> HttpResponse:
    response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition_header(True, export.filename)
    response["Cache-Control"] = "no-store"
    # streamed, not buffered: staff_required's View type only names HttpResponse
    return response  # type: ignore[return-value]


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Spreadsheet (CSV or Excel .xlsx)"))
    source = forms.ChoiceField(
        label=gettext_lazy("Where the customers come from"),
        choices=[
            (Source.IMPORT.value, gettext_lazy("Our own list")),
            (Source.PARTNER.value, gettext_lazy("A partner")),
        ],
        initial=Source.IMPORT.value,
        required=False,
    )


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=FORMAT_CHOICES, initial="xlsx")
    segment = forms.ChoiceField(label=gettext_lazy("Segment"), required=False)
    city = forms.CharField(label=gettext_lazy("City"), required=False, max_length=100)
    tag = forms.CharField(label=gettext_lazy("Tag"), required=False, max_length=50)
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False)
    consent_sms = forms.BooleanField(label=gettext_lazy("Agreed to SMS only"), required=False)
    consent_email = forms.BooleanField(label=gettext_lazy("Agreed to e-mail only"), required=False)

    def __init__(self, *args: Any, business: Business, **kwargs: Any) -> None:
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.business = business
        segments = Segment.objects.for_business(business).order_by("name")
        self.fields["segment"].choices = [("", gettext_lazy("All customers"))] + [  # type: ignore[attr-defined]
            (str(s.pk), s.name) for s in segments
        ]
        self.fields["language"].choices = [("", "—"), *settings.LANGUAGES]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        filters: dict[str, Any] = {}
        if data.get("segment"):
            segment = Segment.objects.for_business(self.business).filter(pk=data["segment"]).first()
            if segment is not None:
                filters.update(segment.filters)
        for key in ("city", "tag", "language"):
            if data.get(key):
                filters[key] = data[key]
        for key in ("consent_sms", "consent_email"):
            if data.get(key):
                filters[key] = True
        return filters


class PartnerForm(forms.Form):
    partner = forms.CharField(label=gettext_lazy("Partner's name"), max_length=100)
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=FORMAT_CHOICES, initial="csv")


@staff_required(Role.MANAGER)
def import_list(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job, created = import_upload(
                business=business,
                file_name=upload.name,
                fileobj=upload,
                created_by=request.user,  # type: ignore[arg-type]
                source=form.cleaned_data["source"] or Source.IMPORT,
            )
        except DomainError as error:
            form.add_error("file", str(error.message))
        else:
            if not created:
                messages.info(request, _("This file was uploaded before: here is its import."))
                return redirect("web:import_detail", job_id=job.pk)
            return redirect("web:import_mapping", job_id=job.pk)
    return render(
        request,
        "web/customers/imports/list.html",
        {
            "form": form,
            "jobs": import_jobs(business)[:20],
            "max_mb": round(max_bytes() / (1024 * 1024)),
        },
        status=400 if form.errors else 200,
    )


@staff_required(Role.MANAGER)
def import_mapping(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    if job.next_row > 0 or job.status in (ImportStatus.RUNNING, ImportStatus.DONE):
        return redirect("web:import_detail", job_id=job.pk)
    error = ""
    if request.method == "POST" and "sheet" in request.POST:
        try:
            import_sheet_choose(job=job, sheet=request.POST.get("sheet", ""))
        except DomainError as problem:
            error = str(problem.message)
        else:
            return redirect("web:import_mapping", job_id=job.pk)
    table = job.report.get("table", {})
    headers: list[str] = table.get("headers", [])
    current = job_mapping(job)
    choices = [("", _("— leave out —")), *((k, str(v)) for k, v in FIELD_LABELS.items())]
    if request.method == "POST" and "sheet" not in request.POST:
        chosen = {str(i): request.POST.get(f"col_{i}", "") for i in range(len(headers))}
        try:
            import_preview(job=job, mapping=chosen)
        except DomainError as problem:
            error = str(problem.message)
            fields = problem.details.get("fields", {})
            if fields:
                error += " " + " ".join(
                    f"{column_letter(int(k))}: {v[0]}" for k, v in fields.items() if k.isdigit()
                )
            current = {int(k): v for k, v in chosen.items() if v}
        else:
            return redirect("web:import_detail", job_id=job.pk)
    try:
        samples = import_sample_rows(job)
    except DomainError:
        samples = []
    columns = [
        {
            "index": index,
            "letter": column_letter(index),
            "header": header,
            "selected": current.get(index, ""),
            "samples": [row[index] for row in samples if index < len(row) and row[index]],
        }
        for index, header in enumerate(headers)
    ]
    sheets = job.report.get("sheets", [])
    return render(
        request,
        "web/customers/imports/mapping.html",
        {
            "job": job,
            "columns": columns,
            "choices": choices,
            "error": error,
            "table": table,
            "sheets": sheets if len(sheets) > 1 else [],
        },
        status=422 if error else 200,
    )


def _opening_lines(business: Business, totals: dict[str, int]) -> list[str]:
    """What an import carries over, in words: "Points balance (opening): 12,500"."""
    lines = []
    for name, total in totals.items():
        shown = amount(total, business.currency) if name in OPENING_MONEY else number(total)
        lines.append(f"{FIELD_LABELS.get(name, name)}: {shown}")
    return lines


@staff_required(Role.MANAGER)
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """The import's check and result; a POST undoes it (after a confirmation)."""
    job = _job_or_404(request, job_id)
    business = _business(request)
    refusal: dict[str, Any] | None = None
    if request.method == "POST" and request.POST.get("action") == "undo":
        asking = confirm_first(
            request,
            question=_("Undo the import of %(file)s?") % {"file": job.file_name},
            consequence=ngettext(
                "The %(count)s customer it added is removed, with the card, tags and consents "
                "it brought; balances carried over are taken back. Only possible while none "
                "of them has bought, redeemed or received a message since.",
                "The %(count)s customers it added are removed, with the cards, tags and "
                "consents it brought; balances carried over are taken back. Only possible "
                "while none of them has bought, redeemed or received a message since.",
                job.created_count,
            )
            % {"count": job.created_count},
            yes=_("Yes, undo the import"),
            cancel_url=reverse("web:import_detail", kwargs={"job_id": job.pk}),
        )
        if asking is not None:
            return asking
        try:
            undo = import_undo(job=job, actor=request.user)  # type: ignore[arg-type]
        except ImportHasActivity as error:
            refusal = {"message": str(error.message), **error.details}
        except DomainError as error:
            messages.error(request, str(error.message))
            return redirect("web:import_detail", job_id=job.pk)
        else:
            messages.success(
                request,
                ngettext(
                    "Import undone: %(count)s customer removed.",
                    "Import undone: %(count)s customers removed.",
                    undo["removed"] + undo["closed"],
                )
                % {"count": undo["removed"] + undo["closed"]},
            )
            return redirect("web:import_detail", job_id=job.pk)
    job.refresh_from_db()
    preview = job.report.get("preview") or {}
    run = job.report.get("run") or {}
    sheets = job.report.get("sheets", [])
    return render(
        request,
        "web/customers/imports/detail.html",
        {
            "job": job,
            "preview": preview,
            "run": run,
            "can_change": job.next_row == 0
            and job.status not in (ImportStatus.RUNNING, ImportStatus.DONE),
            "can_run": bool(preview.get("ready"))
            and job.status not in (ImportStatus.DONE, ImportStatus.UNDONE),
            "can_undo": job.status in (ImportStatus.DONE, ImportStatus.FAILED)
            and job.created_count > 0,
            "refusal": refusal,
            "undo": job.report.get("undo"),
            "customers_url": f"{reverse('web:customers')}?import={job.pk}",
            "preview_opening": _opening_lines(business, preview.get("opening") or {}),
            "run_opening": _opening_lines(business, run.get("opening") or {}),
            "sheet": job.report.get("table", {}).get("sheet", "") if len(sheets) > 1 else "",
            "labels": {k: str(v) for k, v in FIELD_LABELS.items()},
            "headers": job.report.get("table", {}).get("headers", []),
            "mapping": [
                (column_letter(i), FIELD_LABELS.get(name, name))
                for i, name in job_mapping(job).items()
            ],
        },
        status=409 if refusal else 200,
    )


@require_POST
@staff_required(Role.MANAGER)
def import_run(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    try:
        job, queued = import_start(job=job, actor=request.user)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        if queued:
            messages.info(
                request, _("The import runs in the background; this page shows how far it got.")
            )
        elif job.status == ImportStatus.DONE:
            messages.success(
                request,
                ngettext(
                    "Import finished: %(created)s customer added.",
                    "Import finished: %(created)s customers added.",
                    job.created_count,
                )
                % {"created": job.created_count},
            )
    return redirect("web:import_detail", job_id=job.pk)


@staff_required(Role.MANAGER)
def import_errors(request: HttpRequest, job_id: int, fmt: str) -> HttpResponse:
    job = _job_or_404(request, job_id)
    try:
        return _download(import_errors_file(job=job, fmt=fmt))
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("web:import_detail", job_id=job.pk)


@staff_required(Role.MANAGER)
def export_customers(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    form = ExportForm(request.GET or None, business=business)
    if request.GET and form.is_valid():
        try:
            with reporting_reads():  # the rows come from the read replica when there is one
                export = customers_export(
                    business=business,
                    fmt=form.cleaned_data["format"],
                    filters=form.filters(),
                    actor=request.user,  # type: ignore[arg-type]
                )
            export.chunks = reporting_chunks(export.chunks)
            return _download(export)
        except DomainError as error:
            form.add_error(None, str(error.message))
    return render(
        request,
        "web/customers/imports/export.html",
        {"form": form, "partner_form": PartnerForm()},
        status=422 if form.errors else 200,
    )


@staff_required(Role.MANAGER)
def export_partner(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    partner_form = PartnerForm(request.GET or None)
    if partner_form.is_valid():
        try:
            return _download(
                partner_share_export(
                    business=business,
                    partner_name=partner_form.cleaned_data["partner"],
                    fmt=partner_form.cleaned_data["format"],
                    actor=request.user,  # type: ignore[arg-type]
                )
            )
        except DomainError as error:
            partner_form.add_error("partner", str(error.message))
    return render(
        request,
        "web/customers/imports/export.html",
        {"form": ExportForm(business=business), "partner_form": partner_form},
        status=422 if partner_form.errors else 200,
    )
