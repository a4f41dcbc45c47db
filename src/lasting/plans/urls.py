from django.urls import path

from lasting.plans import views

app_name = "plans"

urlpatterns = [
    path("proposals/<int:proposal_id>/accept/", views.accept, name="accept"),
    path("proposals/<int:proposal_id>/move/", views.move, name="move"),
    path("proposals/<int:proposal_id>/decline/", views.decline, name="decline"),
    path("patients/<int:patient_id>/plan/", views.edit_plan, name="edit_plan"),
]
