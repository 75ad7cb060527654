"""Settings for benchmarks only: the product's settings with the bench URLconf (the product's
routes plus bare-DRF floor endpoints). Never used by the product."""

from foodbank.settings import *  # noqa: F403
from foodbank.settings import LOGGING

ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# Quiet logs: 400/404 warnings would cost more than the requests they describe.
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}
