"""URLs of the rewards screens (included by wateja.web.urls, so named "web:…")."""

from django.urls import path

from wateja.web.rewards import views

urlpatterns = [
    path("rewards/", views.rewards, name="rewards"),
    path("rewards/new/", views.offer_new, name="offer_new"),
    path("rewards/<int:promotion_id>/", views.offer_detail, name="offer_detail"),
    path("rewards/<int:promotion_id>/status/", views.offer_status, name="offer_status"),
    path("rewards/<int:promotion_id>/codes/", views.offer_codes, name="offer_codes"),
]
