"""URLs of the online shop screens (included by wateja.web.urls, so named "web:shop…")."""

from django.urls import path

from wateja.web.shops import views

urlpatterns = [
    path("settings/shops/", views.shops, name="shops"),
    path("settings/shops/<int:connection_id>/", views.shop_detail, name="shop"),
    path(
        "settings/shops/<int:connection_id>/disconnect/", views.disconnect, name="shop_disconnect"
    ),
]
