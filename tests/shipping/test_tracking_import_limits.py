"""The tracking import cannot be made to read a million rows (issue #21, item 7): a file with more
rows than the batch has parcels (plus TRACKING_IMPORT_ROW_MARGIN) is refused unread, and the answer
lists a bounded number of rejected rows with a count per reason."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shipping.models import Parcel

from . import test_api
from .test_api import issued_file, number

built = test_api.built  # the batch of two parcels, as a fixture here too

pytestmark = pytest.mark.django_db


class CountingFile(SimpleUploadedFile):
    """Counts the lines the server read."""

    lines_read = 0

    def __iter__(self):
        for line in super().__iter__():
            CountingFile.lines_read += 1
            yield line


def _post(api, coordinator, batch, upload):
    return api(coordinator).post(
        f"/api/v1/dispatch-batches/{batch.pk}/tracking-import/", {"file": upload}, format="multipart"
    )


def test_a_file_with_more_rows_than_the_batch_can_have_is_refused_unread(api, coordinator, built, settings):
    # given a batch of two parcels and a margin of 3 rows: a header and 5 rows at most
    settings.TRACKING_IMPORT_ROW_MARGIN = 3
    batch, _requests = built
    row = b"B-unknown,0,0,123456789012\r\n"
    upload = CountingFile("issued.csv", b"header\r\n" + row * 200_000, content_type="text/csv")
    CountingFile.lines_read = 0

    # when it is uploaded
    response = _post(api, coordinator, batch, upload)

    # then it is refused with the cap, having read only up to the first row over it, and nothing stored
    assert response.status_code == 413
    assert response.json()["code"] == "too_many_rows"
    assert response.json()["max_rows"] == 6
    assert CountingFile.lines_read <= 7
    assert not Parcel.objects.filter(tracking_number__isnull=False).exists()


def test_a_file_within_the_cap_is_imported(api, coordinator, built, settings):
    settings.TRACKING_IMPORT_ROW_MARGIN = 0
    batch, _requests = built
    refs = list(Parcel.objects.filter(batch=batch).order_by("pk").values_list("reference", flat=True))

    response = _post(
        api, coordinator, batch, issued_file(batch, [(refs[0], number(1)), (refs[1], number(2))])
    )

    assert response.status_code == 200
    assert len(response.json()["matched"]) == 2
    assert response.json()["rejected_count"] == 0


def test_rejected_rows_are_summarised(api, coordinator, built, settings):
    # given a file (within the cap) whose every row is rejected, more than are listed
    settings.TRACKING_IMPORT_ROW_MARGIN = 50
    settings.TRACKING_IMPORT_REJECTS_SHOWN = 10
    batch, _requests = built
    refs = list(Parcel.objects.filter(batch=batch).order_by("pk").values_list("reference", flat=True))
    rows = [(f"NOPE-{n}", number(n)) for n in range(30)] + [(refs[0], "123456789012")]

    response = _post(api, coordinator, batch, issued_file(batch, rows))

    # then the answer counts every row by reason and lists the first ten
    assert response.status_code == 200
    body = response.json()
    assert body["rejected_count"] == 31
    assert body["rejected_by_reason"] == {"bad_check_digit": 1, "unknown_reference": 30}
    assert len(body["rejected"]) == 10
    assert [r["row"] for r in body["rejected"]] == sorted(r["row"] for r in body["rejected"])
