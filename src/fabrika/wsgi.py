import os

from django.core.wsgi import get_wsgi_application

from fabrika.core.startup import settle

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fabrika.settings.prod")
application = get_wsgi_application()
settle()
