"""URLs of the catalogue screens (included by wateja.web.urls, so named "web:…")."""

from django.urls import path

from wateja.web.catalog import views

urlpatterns = [
    path("catalog/", views.product_list, name="products"),
    path("catalog/new/", views.product_new, name="product_new"),
    path("catalog/import/", views.product_import, name="product_import"),
    path("catalog/<int:product_id>/", views.product_edit, name="product_edit"),
]
