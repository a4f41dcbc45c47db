from django.urls import path

from lasting.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.alert_list, name="list"),
    path("<int:alert_id>/", views.detail, name="detail"),
    path("<int:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:alert_id>/contact/", views.contact, name="contact"),
    path("<int:alert_id>/resolve/", views.resolve, name="resolve"),
]
