from django.urls import path

from lasting.schedule import views

app_name = "schedule"

urlpatterns = [
    path("schedule/", views.day, name="day"),
    path("schedule/feeds/", views.feeds, name="feeds"),
    path("accounts/organization/prices/", views.prices, name="prices"),
    path("calendar/<str:token>.ics", views.feed, name="feed"),
    path(
        "patients/<int:patient_id>/appointments/new/",
        views.new_appointment,
        name="new_appointment",
    ),
    path("appointments/<int:appointment_id>/move/", views.move, name="move"),
    path("appointments/<int:appointment_id>/cancel/", views.cancel, name="cancel"),
    path("appointments/<int:appointment_id>/status/", views.status, name="status"),
]
