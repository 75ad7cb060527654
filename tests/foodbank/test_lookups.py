import pytest
from django.db import connection

from foodbank.lookups import AnyOf
from foodbank.models import Organisation


@pytest.fixture
def organisations(db):
    return [
        Organisation.objects.create(code=f"org-{i}", name=f"Org {i}", kind=Organisation.Kind.FOOD_BANK)
        for i in range(4)
    ]


def test_any_of_keeps_exactly_the_rows_listed(organisations):
    wanted = [organisations[2].pk, organisations[0].pk, organisations[2].pk, 999_999]

    found = Organisation.objects.filter(AnyOf("pk", wanted)).order_by("pk")

    assert list(found) == [organisations[0], organisations[2]]


def test_any_of_an_empty_list_keeps_nothing(organisations):
    assert list(Organisation.objects.filter(AnyOf("pk", []))) == []
    assert Organisation.objects.exclude(AnyOf("pk", [])).count() == len(organisations)


def test_any_of_sends_thousands_of_ids_as_one_parameter_on_postgresql(organisations):
    ids = [*range(1_000_000, 1_005_000), organisations[1].pk]
    queryset = Organisation.objects.filter(AnyOf("pk", ids))

    _sql, params = queryset.query.sql_with_params()

    assert list(queryset) == [organisations[1]]
    if connection.vendor == "postgresql":
        assert len(params) == 1
    else:
        assert len(params) == len(ids)
