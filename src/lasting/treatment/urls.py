from django.urls import path

from lasting.treatment import views

app_name = "treatment"

urlpatterns = [
    path("patients/<int:patient_id>/sessions/new/", views.new_session, name="new_session"),
    path("patients/<int:patient_id>/events/new/", views.new_event, name="new_event"),
    path("rems-forms/", views.monitoring_forms, name="monitoring_forms"),
    path("sessions/<int:session_id>/rems-form/", views.monitoring_form, name="monitoring_form"),
]
