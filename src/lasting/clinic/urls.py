from django.urls import path

from lasting.clinic import views

app_name = "clinic"

urlpatterns = [
    path("caseload/", views.caseload, name="caseload"),
    path("patients/<int:patient_id>/", views.patient, name="patient"),
    path("review/", views.review, name="review"),
    path("quiet/", views.quiet, name="quiet"),
]
