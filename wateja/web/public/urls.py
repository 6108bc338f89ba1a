"""URLs of the customers' own pages, reached without a login (included by wateja.web.urls, so
named "web:…")."""

from django.urls import path

from wateja.web.public import chats, views

urlpatterns = [
    path("join/<slug:slug>/", views.join, name="join"),
    path("my/<str:token>/", views.my_card, name="my_card"),
    path("my/<str:token>/chat/<str:channel>/", chats.chat_link, name="my_card_chat"),
    path("u/<str:token>/", views.unsubscribe_page, name="unsubscribe"),
    path("r/<str:token>/", views.link_redirect, name="link"),
    path("f/<str:token>/", views.feedback_page, name="feedback"),
]
