"""URLs of the rewards screens (included by wateja.web.urls, so named "web:…")."""

from django.urls import path

from wateja.web.rewards import recipe_views, simulation_views, views

urlpatterns = [
    path("rewards/", views.rewards, name="rewards"),
    path("rewards/new/", recipe_views.gallery, name="offer_gallery"),
    path("rewards/new/custom/", views.offer_new, name="offer_new"),
    path("rewards/new/<slug:key>/", recipe_views.recipe_new, name="recipe_new"),
    path(
        "rewards/new/<slug:key>/sentence/",
        recipe_views.recipe_sentence_view,
        name="recipe_sentence",
    ),
    path("rewards/start/", recipe_views.programme_start, name="programme_start"),
    path("rewards/tiers/", recipe_views.tiers, name="tiers"),
    path("rewards/tiers/<int:tier_id>/", recipe_views.tiers, name="tier_edit"),
    path("rewards/<int:promotion_id>/", views.offer_detail, name="offer_detail"),
    path(
        "rewards/<int:promotion_id>/estimate/",
        simulation_views.offer_estimate,
        name="offer_estimate",
    ),
    path("rewards/<int:promotion_id>/edit/", recipe_views.offer_edit, name="offer_edit"),
    path("rewards/<int:promotion_id>/delete/", recipe_views.offer_delete, name="offer_delete"),
    path("rewards/<int:promotion_id>/status/", views.offer_status, name="offer_status"),
    path("rewards/<int:promotion_id>/codes/", views.offer_codes, name="offer_codes"),
    path("rewards/<int:promotion_id>/codes/print/", recipe_views.codes_print, name="codes_print"),
]
