from django.urls import path

from lasting.intake import views

app_name = "intake"

urlpatterns = [
    path("patients/<int:patient_id>/sessions/new/", views.new_session, name="new_session"),
    path("patients/<int:patient_id>/events/new/", views.new_event, name="new_event"),
    path("patients/<int:patient_id>/phq9/new/", views.enter_phq9, name="enter_phq9"),
]
