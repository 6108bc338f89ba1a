"""URLs of the events screens and of the guests' answer page (included by wateja.web.urls,
so named "web:…")."""

from django.urls import path

from wateja.web.events import views
from wateja.web.public import events as public

urlpatterns = [
    path("events/", views.event_list, name="events"),
    path("events/new/", views.event_new, name="event_new"),
    path("events/<int:event_id>/", views.event_detail, name="event"),
    path("events/<int:event_id>/edit/", views.event_edit, name="event_edit"),
    path("events/<int:event_id>/check-in/", views.event_checkin, name="event_checkin"),
    path("events/<int:event_id>/guests/", views.event_guest_add, name="event_guest_add"),
    path(
        "events/<int:event_id>/guests/<int:registration_id>/cancel/",
        views.event_guest_cancel,
        name="event_guest_cancel",
    ),
    path("events/<int:event_id>/invite/", views.event_send_invitations, name="event_invite"),
    path("e/<str:token>/", public.rsvp_page, name="event_rsvp"),
]
