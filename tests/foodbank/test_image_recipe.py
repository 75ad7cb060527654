"""The production image's recipe, checked quickly: what the Dockerfile copies after .dockerignore
holds every app Django loads (.ci/image_check.py then installs and starts it in CI)."""

import importlib.util
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def image_check():
    spec = importlib.util.spec_from_file_location("image_check", ROOT / ".ci" / "image_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _our_apps() -> list[str]:
    return sorted(
        config.name for config in apps.get_app_configs() if Path(config.path).resolve().parent == ROOT
    )


def test_the_image_holds_every_app_django_loads_and_nothing_of_the_developers(image_check, tmp_path):
    # Given the build context after .dockerignore
    context = image_check.build_context(image_check.read_dockerignore(ROOT / ".dockerignore"))

    # When the Dockerfile's COPY instructions lay it out
    image = image_check.lay_out_image(tmp_path / "app", context)

    # Then every app of INSTALLED_APPS from this repository is there, with what installs and runs it
    copied = tmp_path / "app"
    assert _our_apps()  # foodbank, inventory, ...
    for name in _our_apps():
        assert (copied / name / "apps.py").is_file(), f"{name} is not in the image"
    for needed in ("manage.py", "pyproject.toml", "README.md"):
        assert (copied / needed).is_file()
    assert image["cmd"][0] == "gunicorn"
    # ... and none of the tests, benchmarks, local state or history
    for left_out in ("tests", "bench", ".git", ".venv", "var", ".ci"):
        assert not (copied / left_out).exists(), left_out


@pytest.mark.parametrize(
    ("path", "rules", "out"),
    [
        ("var/db.sqlite3", ["var"], True),  # a folder's pattern covers what is inside
        ("shipping/var.py", ["var"], False),  # relative to the root only
        ("shipping/__pycache__/x.pyc", ["**/__pycache__"], True),
        ("notes.md", ["*.md", "!README.md"], True),
        ("README.md", ["*.md", "!README.md"], False),  # let back in by the later rule
        ("docs/inventory.md", ["*.md"], False),  # * stays within one segment
    ],
)
def test_dockerignore_rules_are_dockers(image_check, path, rules, out):
    parsed = [(r.startswith("!"), image_check._pattern_regex(r.lstrip("!"))) for r in rules]

    assert image_check.ignored(path, parsed) is out
