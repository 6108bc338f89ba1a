"""URLs of the customer screens (included by wateja.web.urls, so named "web:…"): the customer
base and the customer page with its wallet actions, spreadsheets (imports and exports) and
printable PDFs."""

from django.urls import path

from wateja.web.customers import import_views, merge_views, print_views, views, wallet_views

urlpatterns = [
    path("customers/", views.customer_list, name="customers"),
    path("customers/new/", views.customer_new, name="customer_new"),
    path("customers/tasks/", views.tasks, name="tasks"),
    path("customers/segments/", views.segments, name="segments"),
    path(
        "customers/segments/<int:segment_id>/",
        views.segment_detail,
        name="segment_detail",
    ),
    path("customers/duplicates/", merge_views.duplicates, name="duplicates"),
    path("customers/merge/compare/", merge_views.merge_compare, name="merge_compare"),
    path("customers/merge/", merge_views.merge, name="merge"),
    path("customers/merges/<int:merge_id>/undo/", merge_views.merge_undo, name="merge_undo"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:customer_id>/edit/", views.customer_edit, name="customer_edit"),
    path(
        "customers/<int:customer_id>/interactions/",
        views.interaction_new,
        name="interaction_new",
    ),
    path(
        "customers/<int:customer_id>/consents/",
        views.consent_change,
        name="consent_change",
    ),
    path("customers/<int:customer_id>/card/", views.card_reissue, name="card_reissue"),
    path(
        "customers/<int:customer_id>/export.json",
        views.customer_export_json,
        name="customer_export_json",
    ),
    path(
        "customers/<int:customer_id>/erase/",
        views.customer_erase_view,
        name="customer_erase",
    ),
    path("tasks/<int:interaction_id>/status/", views.task_status, name="task_status"),
    path(
        "customers/<int:customer_id>/wallet/adjust/",
        wallet_views.adjust,
        name="wallet_adjust",
    ),
    path(
        "customers/<int:customer_id>/wallet/donate/",
        wallet_views.donate,
        name="wallet_donate",
    ),
    path(
        "customers/<int:customer_id>/card-link/send/",
        wallet_views.card_link_send_view,
        name="card_link_send",
    ),
    path(
        "customers/<int:customer_id>/card-link/replace/",
        wallet_views.card_link_rotate_view,
        name="card_link_rotate",
    ),
    path("imports/", import_views.import_list, name="import_list"),
    path("imports/<int:job_id>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:job_id>/columns/", import_views.import_mapping, name="import_mapping"),
    path("imports/<int:job_id>/run/", import_views.import_run, name="import_run"),
    path(
        "imports/<int:job_id>/problems.csv",
        import_views.import_errors,
        {"fmt": "csv"},
        name="import_errors_csv",
    ),
    path(
        "imports/<int:job_id>/problems.xlsx",
        import_views.import_errors,
        {"fmt": "xlsx"},
        name="import_errors_xlsx",
    ),
    path("exports/customers/", import_views.export_customers, name="export_customers"),
    path("exports/partner/", import_views.export_partner, name="export_partner"),
    path("customers/<int:customer_id>/card.pdf", print_views.card, name="print_card"),
    path("customers/cards.pdf", print_views.cards_sheet, name="print_cards_sheet"),
    path("customers/list.pdf", print_views.customer_list, name="print_customer_list"),
    path("join-poster.pdf", print_views.join_poster, name="print_join_poster"),
    path(
        "customers/<int:customer_id>/data-export.pdf",
        print_views.data_export,
        name="print_data_export",
    ),
]
