from django.urls import path

from lasting.evaluations import views

app_name = "evaluations"

urlpatterns = [
    path("request/<slug:slug>/", views.request_evaluation, name="request"),
    path("request/<slug:slug>/what-to-expect/", views.what_to_expect, name="what_to_expect"),
    path("requests/", views.inbox, name="inbox"),
    path("requests/<int:request_id>/", views.detail, name="detail"),
    path("requests/<int:request_id>/status/", views.change_status, name="status"),
    path("requests/<int:request_id>/book/", views.book, name="book"),
]
