from django.urls import URLPattern, path, re_path

from lasting.api.api import api
from lasting.api.problems import not_found, with_problem_on_405

app_name = "api"

_patterns, _app_name, _namespace = api.urls
urlpatterns = [
    path(str(entry.pattern), with_problem_on_405(entry.callback), name=str(entry.name))
    for entry in _patterns
    if isinstance(entry, URLPattern)
] + [re_path(r"^.*$", not_found, name="not_found")]
