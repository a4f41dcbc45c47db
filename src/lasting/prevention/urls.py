from django.urls import path

from lasting.prevention import views

app_name = "prevention"

urlpatterns = [
    path("patients/<int:patient_id>/prevention-plan/", views.plan, name="plan"),
    path("patients/<int:patient_id>/prevention-plan/edit/", views.edit, name="edit"),
    path(
        "patients/<int:patient_id>/prevention-plan/versions/<int:number>/",
        views.version,
        name="version",
    ),
]
