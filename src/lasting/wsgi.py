"""The WSGI application that gunicorn serves (`lasting serve`, `lasting demo`)."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lasting.settings")
application = get_wsgi_application()
# Import every view now, not on the first request: a worker answers at once when it
# starts (or is forked warm from a master started with --preload), and a view that
# cannot be imported stops the server at start-up instead of failing a patient's request.
get_resolver().url_patterns  # noqa: B018
