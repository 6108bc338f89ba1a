"""URLs of the customers' own pages, reached without a login (included by wateja.web.urls, so
named "web:…")."""

from django.urls import path

from wateja.web.public import card_views, chats, surveys, views

urlpatterns = [
    path("join/<slug:slug>/", views.join, name="join"),
    path("my/sw.js", card_views.card_service_worker, name="card_service_worker"),
    path("my/lost/<slug:slug>/", card_views.lost_link, name="lost_link"),
    path("my/<str:token>/", card_views.my_card, name="my_card"),
    path(
        "my/<str:token>/manifest.webmanifest",
        card_views.my_card_manifest,
        name="my_card_manifest",
    ),
    path("my/<str:token>/preferences/", card_views.my_card_preferences, name="my_card_preferences"),
    path("my/<str:token>/chat/<str:channel>/", chats.chat_link, name="my_card_chat"),
    path("u/<str:token>/", views.unsubscribe_page, name="unsubscribe"),
    path("r/<str:token>/", views.link_redirect, name="link"),
    path("f/<str:token>/", views.feedback_page, name="feedback"),
    path("s/<str:token>/", surveys.survey_page, name="survey"),
]
