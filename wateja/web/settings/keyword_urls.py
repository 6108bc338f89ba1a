"""URL of the keywords customers can text (included by wateja.web.urls, named "web:…")."""

from django.urls import path

from wateja.web.settings import keyword_views

urlpatterns = [
    path("messages/settings/keywords/", keyword_views.keywords_page, name="keywords"),
]
