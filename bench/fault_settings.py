"""Settings for the worker processes of the fault scripts: the product's, with emails written to
files (``EMAIL_FILE_PATH``) so the script can count them. Never used by the product."""

import os

from foodbank.settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
# The queue the worker consumes is also the one its own follow-up tasks go to (the tests use a
# queue of their own per run).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
if CELERY_BROKER_URL.startswith("redis"):  # noqa: F405
    # A worker killed while it holds kombu's restore mutex (it restores unacknowledged messages
    # under it) would block every restore until the mutex expires (300 s by default); in these
    # scripts the visibility timeout is a few seconds, so the mutex expires as quickly.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
        "unacked_mutex_expire": CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"],  # noqa: F405
    }
