"""Where files live: the filesystem (``MEDIA_ROOT``, the embedded default) or the database.

``FILE_STORAGE=database`` keeps files (the dispatch batches' PDFs and carrier CSVs) in PostgreSQL,
in ``foodbank.StoredFile`` rows, so any web or worker replica serves what another one drew: no
shared disk, nothing more to back up than the database. A file is written in the caller's
transaction, so a batch document and its file appear (or roll back) together. docs/storage.md.
"""

from datetime import datetime

from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.utils.deconstruct import deconstructible


@deconstructible(path="foodbank.storage.DatabaseStorage")
class DatabaseStorage(Storage):
    """Django storage on ``foodbank.StoredFile`` rows (bytea on PostgreSQL). Files are read whole:
    the largest are a batch's label PDFs, a few megabytes, which are rendered in memory anyway."""

    # Tries at a free name when two writers take the same one at once (the unique name refuses one).
    SAVE_ATTEMPTS = 5

    @staticmethod
    def _rows():
        from .models import StoredFile  # storages are built before the apps are ready

        return StoredFile.objects

    def _open(self, name: str, mode: str = "rb") -> File:
        if any(flag in mode for flag in "wa+"):
            raise ValueError("Database files are written with save(), not opened for writing.")
        content = self._rows().filter(name=name).values_list("content", flat=True).first()
        if content is None:
            raise FileNotFoundError(name)
        return ContentFile(bytes(content), name=name)

    def _save(self, name: str, content: File) -> str:
        if hasattr(content, "seek"):
            content.seek(0)
        data = b"".join(chunk.encode() if isinstance(chunk, str) else chunk for chunk in content.chunks())
        for _attempt in range(self.SAVE_ATTEMPTS):
            try:
                with transaction.atomic():
                    self._rows().create(name=name, content=data, size=len(data))
                return name
            except IntegrityError:
                name = self.get_available_name(name)
        raise FileExistsError(name)

    def exists(self, name: str) -> bool:
        return self._rows().filter(name=name).exists()

    def delete(self, name: str) -> None:
        if name:
            self._rows().filter(name=name).delete()

    def size(self, name: str) -> int:
        size = self._rows().filter(name=name).values_list("size", flat=True).first()
        if size is None:
            raise FileNotFoundError(name)
        return size

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        directories, files = set(), []
        for name in self._rows().filter(name__startswith=prefix).values_list("name", flat=True):
            head, _, tail = name.removeprefix(prefix).partition("/")
            if tail:
                directories.add(head)
            else:
                files.append(head)
        return sorted(directories), files

    def get_created_time(self, name: str) -> datetime:
        created = self._rows().filter(name=name).values_list("created_at", flat=True).first()
        if created is None:
            raise FileNotFoundError(name)
        return created

    get_modified_time = get_created_time

    def url(self, name: str | None) -> str:
        # Files are served by views that check who asks (the batch documents' API), never by URL.
        raise NotImplementedError("Files in the database have no public URL.")
