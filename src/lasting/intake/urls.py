from django.urls import path

from lasting.intake import views

app_name = "intake"

urlpatterns = [
    path("patients/<int:patient_id>/sessions/new/", views.new_session, name="new_session"),
    path("patients/<int:patient_id>/events/new/", views.new_event, name="new_event"),
    path("patients/<int:patient_id>/phq9/new/", views.enter_phq9, name="enter_phq9"),
    path(
        "patients/<int:patient_id>/life-events/new/",
        views.new_life_event,
        name="new_life_event",
    ),
    path(
        "patients/<int:patient_id>/medication/new/",
        views.new_medication_change,
        name="new_medication_change",
    ),
    path(
        "patients/<int:patient_id>/therapy/new/",
        views.new_therapy_event,
        name="new_therapy_event",
    ),
]
