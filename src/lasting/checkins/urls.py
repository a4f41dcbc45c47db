from django.urls import path

from lasting.checkins import views

app_name = "checkins"

urlpatterns = [
    path("patients/<int:patient_id>/links/", views.new_link, name="new_link"),
]
