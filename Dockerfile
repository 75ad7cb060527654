# The production image: gunicorn for the web, the same image for the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 VAR_DIR=/app/var
# Japanese font for PDFs and labels (IPAexGothic); gettext to compile translations.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-ipaexfont-gothic gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The whole project, less what .dockerignore keeps out: a new app cannot be forgotten here.
COPY . .
RUN pip install . && useradd --create-home --uid 10001 foodbank && mkdir -p /app/var && chown foodbank /app/var
USER foodbank
RUN SECRET_KEY=build python manage.py collectstatic --no-input -v 0

EXPOSE 8000
CMD ["gunicorn", "foodbank.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
