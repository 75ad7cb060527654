"""The Celery application. Configuration comes from Django settings (``CELERY_*``)."""

import logging
import os

from celery import Celery
from celery import Task as BaseTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foodbank.settings")

logger = logging.getLogger(__name__)


class Task(BaseTask):
    """Every task of the project: a redelivered message is counted and, over the cap, acknowledged
    without running (``foodbank.redelivery``)."""

    def __call__(self, *args, **kwargs):
        delivery_info = getattr(self.request, "delivery_info", None) or {}
        if delivery_info.get("redelivered") and self.request.id:
            # Here: foodbank/__init__ imports this module before Django is set up, and the
            # redelivery counter uses the models.
            from .redelivery import admit_redelivery

            try:
                admitted = admit_redelivery(task_id=self.request.id, task_name=self.name)
            except Exception as exc:  # the count is a safeguard: without a database, run the task
                logger.warning("Could not count a redelivery of %s: %s", self.name, type(exc).__name__)
                admitted = True
            if not admitted:
                return None
        return super().__call__(*args, **kwargs)


app = Celery("foodbank", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
