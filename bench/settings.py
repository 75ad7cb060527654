"""Settings for benchmarks only: the product's settings with the bench URLconf (the product's
routes plus bare-DRF floor endpoints). Never used by the product."""

import warnings

from foodbank.settings import *  # noqa: F403
from foodbank.settings import LOGGING

ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# Quiet logs: 400/404 warnings would cost more than the requests they describe.
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}
# The handout benchmark's drain phase answers many 409s on purpose: do not log each one.
LOGGING["loggers"] = {**LOGGING.get("loggers", {}), "django.request": {"level": "ERROR"}}
# Static files are not collected for a benchmark; whitenoise need not say so in every worker.
warnings.filterwarnings("ignore", message="No directory at")
