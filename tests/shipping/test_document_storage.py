"""Batch documents with no shared disk (FILE_STORAGE=database, docs/storage.md): a worker PROCESS with
its own VAR_DIR draws them, and the web, with another VAR_DIR, serves them."""

import csv
import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from pypdf import PdfReader

from bench.faults import WorkerProcess, database_url_of
from foodbank.models import StoredFile
from shipping.models import BatchDocument, DispatchBatch
from tests.helpers import wait_for

from .integration import approved_requests, tomorrow_batch

DATABASE_STORAGE = "foodbank.storage.DatabaseStorage"


@pytest.fixture
def database_storage(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": DATABASE_STORAGE}}


def _files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_documents_a_worker_draws_on_its_machine_are_served_by_a_web_on_another(
    settings, tmp_path, database_storage, network, b2_account, stocked, case_worker_a, coordinator, volunteer
):
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("a worker process shares the broker only through Redis (set REDIS_URL)")
    # Given a web (this process) and a worker process, each with a VAR_DIR of its own, and three
    # approved requests
    web_var, worker_var = tmp_path / "web", tmp_path / "worker"
    settings.MEDIA_ROOT = str(web_var / "media")
    requests = approved_requests(
        3, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator
    )
    worker = WorkerProcess(
        broker_url=settings.CELERY_BROKER_URL,
        database_url=database_url_of(connection),
        queue=settings.CELERY_TASK_DEFAULT_QUEUE,
        VAR_DIR=str(worker_var),
        FILE_STORAGE="database",
    )
    worker.env.pop("MEDIA_ROOT", None)  # its media folder is the one under its own VAR_DIR
    worker.start()
    try:
        # When the batch is opened and the worker builds it and draws its documents
        batch = tomorrow_batch(b2_account)
        wait_for(
            lambda: DispatchBatch.objects.filter(pk=batch.pk, status="ready").exists(),
            timeout=90,
            message=f"a ready batch (worker log: {worker.log})",
        )
    finally:
        worker.stop()

    # Then the web serves them: the volunteer's packing slips (one page per parcel) and the
    # coordinator's carrier CSV (one row per request)
    slips = api_get(volunteer, f"/api/v1/dispatch-batches/{batch.pk}/documents/packing_slips/")
    assert len(PdfReader(io.BytesIO(slips)).pages) == 3
    carrier_csv = api_get(coordinator, f"/api/v1/dispatch-batches/{batch.pk}/documents/carrier_csv/")
    rows = list(csv.reader(io.StringIO(carrier_csv.decode("cp932"))))
    assert len(rows) == 1 + len(requests)
    # ... from the database: neither machine's disk holds a file
    stored = set(StoredFile.objects.values_list("name", flat=True))
    assert stored == set(BatchDocument.objects.filter(batch=batch).values_list("file", flat=True))
    assert len(stored) == 4
    assert _files_under(worker_var / "media") == []
    assert _files_under(web_var) == []


def api_get(user, url: str) -> bytes:
    from tests.helpers import api_client_for

    response = api_client_for(user).get(url)
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_a_file_written_in_a_transaction_that_rolls_back_is_not_kept(database_storage):
    # Given a transaction that saves a file, then fails
    def save_then_fail():
        with transaction.atomic():
            default_storage.save("shipping/batches/1/labels.pdf", ContentFile(b"%PDF-1.4 labels"))
            raise RuntimeError("the batch's row could not be written")

    with pytest.raises(RuntimeError):
        save_then_fail()

    # Then no file is left behind
    assert not default_storage.exists("shipping/batches/1/labels.pdf")
    assert StoredFile.objects.count() == 0


@pytest.mark.django_db
def test_database_storage_reads_back_what_it_stored(database_storage):
    # Given two files saved under the same name
    first = default_storage.save("shipping/batches/1/pick_list.pdf", ContentFile(b"first"))
    second = default_storage.save("shipping/batches/1/pick_list.pdf", ContentFile(b"second"))

    # Then the second gets a free name and each reads back its own bytes
    assert first == "shipping/batches/1/pick_list.pdf"
    assert second != first
    assert second.startswith("shipping/batches/1/pick_list_")
    with default_storage.open(first) as f:
        assert f.read() == b"first"
    assert default_storage.size(second) == len(b"second")
    assert default_storage.listdir("shipping/batches") == (["1"], [])
    assert sorted(default_storage.listdir("shipping/batches/1")[1]) == sorted(
        [first.rsplit("/", 1)[1], second.rsplit("/", 1)[1]]
    )

    # When one is deleted, it is gone and the other stays
    default_storage.delete(first)
    assert not default_storage.exists(first)
    with pytest.raises(FileNotFoundError):
        default_storage.open(first)
    assert default_storage.exists(second)
