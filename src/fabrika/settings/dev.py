from .base import *  # noqa: F401,F403
from .base import env_bool

DEBUG = env_bool("FABRIKA_DEBUG", False)
STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
