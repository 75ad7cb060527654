"""gunicorn's settings file, read from the working directory (the image's /app, the repository):
what each web process does once it has loaded the application. Command-line options (workers,
threads, bind: README) come on top of it."""


def post_worker_init(worker):
    import gc

    from foodbank import outbox

    # The answer does not wait for the broker: tasks go out from a thread of the process, in
    # batches (PostgreSQL; docs/benchmarks.md).
    outbox.send_in_background()
    # What is loaded by now (modules, models' metadata, settings) lives as long as the process: the
    # collector need not walk it again on every full collection (docs/benchmarks.md).
    gc.collect()
    gc.freeze()
