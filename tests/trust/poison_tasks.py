"""A task that kills the worker running it, for the redelivery-cap test only. Loaded into the
test's worker process with ``celery worker --include tests.trust.poison_tasks``; never part of the
product. Each run appends a line to ``marker`` before it dies, so the test counts the runs."""

import os
import signal
import time

from celery import shared_task


@shared_task(name="tests.trust.poison_tasks.poison_task", ignore_result=True)
def poison_task(marker: str) -> None:
    with open(marker, "a") as out:
        out.write("run\n")
    time.sleep(0.5)  # dies while running, as a task that runs out of memory would
    os.kill(os.getpid(), signal.SIGKILL)
