"""URLs of the printable PDFs (included from web.urls, so names are web:print_*)."""

from django.urls import path

from wateja.web import views_print

urlpatterns = [
    path("customers/<int:customer_id>/card.pdf", views_print.card, name="print_card"),
    path("customers/cards.pdf", views_print.cards_sheet, name="print_cards_sheet"),
    path("customers/list.pdf", views_print.customer_list, name="print_customer_list"),
    path("join-poster.pdf", views_print.join_poster, name="print_join_poster"),
    path(
        "customers/<int:customer_id>/data-export.pdf",
        views_print.data_export,
        name="print_data_export",
    ),
]
