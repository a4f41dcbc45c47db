from django.urls import path

from lasting.patients import views

app_name = "patients"

urlpatterns = [
    path("new/", views.new_patient, name="new"),
    path("search/", views.search, name="search"),
    path("<int:patient_id>/edit/", views.edit_patient, name="edit"),
    path(
        "<int:patient_id>/discharge/",
        views.change_course,
        {"action": "discharge"},
        name="discharge",
    ),
    path(
        "<int:patient_id>/courses/new/",
        views.change_course,
        {"action": "new_course"},
        name="new_course",
    ),
]
