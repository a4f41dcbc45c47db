from django.urls import path

from lasting.outreach import views

app_name = "outreach"

urlpatterns = [
    path("patients/<int:patient_id>/check-ins/", views.schedule, name="schedule"),
    path("patients/<int:patient_id>/outreach/", views.log_contact, name="log_contact"),
    path("accounts/organization/reminders/", views.checkin_defaults, name="checkin_defaults"),
]
