"""Test settings: the project's settings with a handful of overrides."""

import os
import tempfile
import uuid
from pathlib import Path

from foodbank.settings import *  # noqa: F403
from foodbank.settings import CACHES, CELERY_BROKER_URL, CELERY_RESULT_BACKEND, DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Every test run gets its own queue, so a developer's running worker never takes the tests' tasks
# (and two runs against one Redis never take each other's). A process a test starts is given its run's.
TEST_RUN_ID = os.environ.get("TEST_RUN_ID") or uuid.uuid4().hex[:12]
CELERY_TASK_DEFAULT_QUEUE = f"test-{TEST_RUN_ID}"
# Likewise the cache (throttle counters): a run's keys carry its own prefix, emptied after each test.
CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": f"test-{TEST_RUN_ID}"}}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = tempfile.mkdtemp(prefix="foodbank-test-broker-")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _broker_dir,
        "data_folder_out": _broker_dir,
        "control_folder": _broker_dir + "-control",
        "store_processed": False,
        "polling_interval": 0.1,
    }
if CELERY_RESULT_BACKEND.startswith("file://"):
    CELERY_RESULT_BACKEND = "file://" + tempfile.mkdtemp(prefix="foodbank-test-results-")

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not SQLite's in-memory shared-cache database: there, a table lock held by one thread
    # fails the others at once (the busy timeout does not apply), and worker threads lose tasks.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.mkdtemp(prefix="foodbank-test-db-")) / "test.sqlite3")
    }
