from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def production_services_configured(app_configs, **kwargs):
    """The embedded filesystem broker and SQLite are for one laptop, not a deployment."""
    problems = []
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        problems.append(
            Warning("Celery uses the embedded filesystem broker.", hint="Set REDIS_URL.", id="foodbank.W001")
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        problems.append(
            Warning("The database is SQLite.", hint="Set DATABASE_URL to PostgreSQL.", id="foodbank.W002")
        )
    if not settings.FIELD_ENCRYPTION_KEYS or not settings.BLIND_INDEX_KEY:
        problems.append(
            Warning(
                "Encrypted fields use keys derived from SECRET_KEY.",
                hint="Set FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEY (base64, 32 bytes each).",
                id="foodbank.W003",
            )
        )
    return problems
