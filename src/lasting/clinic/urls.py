from django.urls import path

from lasting.clinic import views

app_name = "clinic"

urlpatterns = [
    path("caseload/", views.caseload, name="caseload"),
    path("patients/<int:patient_id>/", views.patient, name="patient"),
    path("patients/<int:patient_id>/phq9/new/", views.enter_phq9, name="enter_phq9"),
    path("review/", views.review, name="review"),
    path("quiet/", views.quiet, name="quiet"),
]
