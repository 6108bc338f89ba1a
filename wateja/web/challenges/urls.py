"""URLs of the challenge screens and the public leaderboard (included by wateja.web.urls, so
named "web:…")."""

from django.urls import path

from wateja.web.challenges import views
from wateja.web.public import leaderboard
from wateja.web.reports import referrals

urlpatterns = [
    path("rewards/challenges/", views.challenges, name="challenges"),
    path("rewards/challenges/new/", views.challenge_new, name="challenge_new"),
    path("rewards/challenges/<int:challenge_id>/", views.challenge_detail, name="challenge_detail"),
    path(
        "rewards/challenges/<int:challenge_id>/finish/",
        views.challenge_finish_view,
        name="challenge_finish",
    ),
    path(
        "rewards/challenges/<int:challenge_id>/cancel/",
        views.challenge_cancel_view,
        name="challenge_cancel",
    ),
    path("rewards/surprises/new/", views.surprise_new, name="surprise_new"),
    path("rewards/surprises/<int:rule_id>/", views.surprise_edit, name="surprise_edit"),
    path("board/<slug:slug>/", leaderboard.leaderboard, name="leaderboard"),
    path("reports/referrals/", referrals.referrals, name="referral_report"),
]
