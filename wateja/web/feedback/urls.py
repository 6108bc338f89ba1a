"""URLs of the feedback screens (included by wateja.web.urls, so named "web:…")."""

from django.urls import path

from wateja.web.feedback import views

urlpatterns = [
    path("feedback/", views.feedback_home, name="feedback_ratings"),
    path("feedback/settings/", views.feedback_settings_page, name="feedback_settings"),
    path("feedback/surveys/", views.surveys, name="surveys"),
    path("feedback/surveys/<int:survey_id>/", views.survey_detail, name="survey_detail"),
    path("feedback/surveys/<int:survey_id>/send/", views.survey_send, name="survey_send"),
]
