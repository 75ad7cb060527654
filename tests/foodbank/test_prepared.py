"""foodbank.prepared.PreparedQuery: compiled once, the same instances as evaluating the queryset."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from foodbank.models import Membership, Role
from foodbank.prepared import PreparedQuery, binds_client_side
from foodbank.settings import env_bool
from inventory.models import Handout

from ..helpers import make_actor
from ..wire import bound_on, sent_to_server

pytestmark = pytest.mark.django_db

MEMBERSHIPS = PreparedQuery(
    lambda user_id: (
        Membership.objects.filter(user_id=user_id).select_related("organisation", "site").order_by("pk")
    )
)
HANDOUTS = PreparedQuery(
    lambda site_id: Handout.objects.filter(site_id=site_id).select_related("site").order_by("pk")
)


def _rows(instances, *names):
    return [tuple(getattr(obj, name) for name in names) for obj in instances]


def test_same_instances_and_related_objects_as_the_queryset(network):
    staff = make_actor("both", Role.WINDOW_STAFF, network.agency_a, network.window_a)
    make_actor("other", Role.WINDOW_STAFF, network.agency_b, network.window_b)
    from foodbank.services import grant_role

    grant_role(user=staff, role=Role.CASE_WORKER, organisation=network.agency_b)  # no site: None

    prepared = MEMBERSHIPS(staff.pk)
    evaluated = list(
        Membership.objects.filter(user_id=staff.pk).select_related("organisation", "site").order_by("pk")
    )

    assert len(prepared) == 2
    assert _rows(prepared, "pk", "role", "organisation_id", "site_id") == _rows(
        evaluated, "pk", "role", "organisation_id", "site_id"
    )
    assert [m.organisation.name for m in prepared] == [m.organisation.name for m in evaluated]
    assert [m.site.name if m.site else None for m in prepared] == ["小樽窓口", None]
    # The related objects were read with the row: reading them costs no query.
    with CaptureQueriesContext(connection) as queries:
        [(m.organisation.code, m.site) for m in prepared]
    assert len(queries) == 0
    assert MEMBERSHIPS(10**12) == []


def test_each_call_runs_its_own_value_and_converts_fields(network):
    now = timezone.now()
    a = Handout.objects.create(
        food_bank=network.food_bank, site=network.window_a, note="見守り", occurred_at=now
    )
    b = Handout.objects.create(food_bank=network.food_bank, site=network.window_b, note="", occurred_at=now)

    # The note is stored encrypted and decrypted on the way out, as by the ORM.
    assert _rows(HANDOUTS(network.window_a.pk), "pk", "note", "occurred_at") == [(a.pk, "見守り", now)]
    assert _rows(HANDOUTS(network.window_b.pk), "pk", "note") == [(b.pk, "")]
    assert HANDOUTS(network.window_a.pk)[0].site.code == "win-a"
    with CaptureQueriesContext(connection) as queries:
        HANDOUTS(network.window_a.pk)
    assert len(queries) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("side", ["server", "client"])
def test_run_together_reads_several_in_one_round_trip(network, side):
    from foodbank import prepared

    staff = make_actor("both", Role.WINDOW_STAFF, network.agency_a, network.window_a)
    now = timezone.now()
    a = Handout.objects.create(
        food_bank=network.food_bank, site=network.window_a, note="見守り", occurred_at=now
    )

    with bound_on(side), sent_to_server() as sent:
        memberships, handouts, none = prepared.run_together(
            (MEMBERSHIPS, staff.pk), (HANDOUTS, network.window_a.pk), (HANDOUTS, 10**12)
        )
    # All three in one round trip: one execute (client-side binding) or one pipeline (server-side)
    assert len(sent) == 1
    assert sent[0].count("SELECT ") == 3
    # The same instances, related objects and decrypted fields as one call each.
    assert _rows(memberships(), "pk", "role", "site_id") == _rows(
        MEMBERSHIPS(staff.pk), "pk", "role", "site_id"
    )
    assert [m.site.name for m in memberships()] == ["小樽窓口"]
    assert _rows(handouts(), "pk", "note", "occurred_at") == [(a.pk, "見守り", now)]
    assert handouts()[0].site.code == "win-a"
    assert none() == []


@pytest.mark.django_db(transaction=True)
def test_a_prepared_query_keeps_no_connection_of_a_thread_that_has_ended(network):
    import gc
    import threading
    import weakref

    from django.db import connections

    # The development server answers each request in a thread of its own, with a connection of
    # its own: a query run there must not keep that connection (and what it decoded with) alive.
    ended: list[weakref.ref] = []

    def request_thread() -> None:
        try:
            assert MEMBERSHIPS(10**12) == []
            assert [h.note for h in HANDOUTS(network.window_a.pk)] == ["見守り"]
            ended.append(weakref.ref(connections["default"]))
        finally:
            connections.close_all()

    Handout.objects.create(
        food_bank=network.food_bank, site=network.window_a, note="見守り", occurred_at=timezone.now()
    )
    for _ in range(3):
        thread = threading.Thread(target=request_thread)
        thread.start()
        thread.join()
    gc.collect()

    assert len(ended) == 3
    assert [ref() for ref in ended] == [None, None, None]
    # This thread's own connection still decodes as before.
    assert [h.note for h in HANDOUTS(network.window_a.pk)] == ["見守り"]


def test_run_together_falls_back_to_one_query_each_for_a_query_it_cannot_compile(network):
    from django.db.models import Count

    from foodbank import prepared

    staff = make_actor("both", Role.WINDOW_STAFF, network.agency_a, network.window_a)
    annotated = PreparedQuery(
        lambda user_id: Membership.objects.filter(user_id=user_id).annotate(n=Count("pk"))
    )

    with CaptureQueriesContext(connection) as queries:
        memberships, handouts = prepared.run_together((annotated, staff.pk), (HANDOUTS, network.window_a.pk))
        assert len(queries) == 0  # each runs when its rows are asked for
        assert [m.pk for m in memberships()] == [m.pk for m in MEMBERSHIPS(staff.pk)]
        assert handouts() == []


@pytest.mark.postgres
@pytest.mark.parametrize("side", ["server", "client"])
def test_fetch_together_raises_a_failing_statement_as_djangos_and_leaves_the_connection_usable(side):
    from django.db import DataError, transaction
    from psycopg import pq

    from foodbank.prepared import fetch_together

    # When the first of two statements sent together fails
    with bound_on(side), pytest.raises(DataError), transaction.atomic():
        fetch_together(connection, [("SELECT 1 / %s", [0]), ("SELECT %s", [2])])

    # Then it raised as Django's exception, the connection is out of the pipeline, and it still
    # answers
    assert connection.connection.pgconn.pipeline_status == pq.PipelineStatus.OFF
    assert fetch_together(connection, [("SELECT %s::integer", [1]), ("SELECT %s::integer", [2])]) == [
        [(1,)],
        [(2,)],
    ]


@pytest.mark.postgres
@pytest.mark.parametrize("side", ["server", "client"])
def test_fetch_together_refuses_one_name_with_two_values_and_sends_nothing(side):
    from foodbank.prepared import fetch_together

    # With client-side binding the statements' mappings become one: a name given two values would
    # silently take the last one. Refused with either binding, before anything is sent.
    with bound_on(side), sent_to_server() as sent:
        with pytest.raises(ValueError, match="'n' has two values"):
            fetch_together(
                connection, [("SELECT %(n)s::integer", {"n": 1}), ("SELECT %(n)s::integer", {"n": 2})]
            )
        with pytest.raises(TypeError):
            fetch_together(connection, [("SELECT %(n)s::integer", {"n": 1}), ("SELECT %s::integer", [2])])
        assert sent == []

        # The same value under one name, and names of their own, are each statement's
        assert fetch_together(
            connection,
            [
                ("SELECT %(n)s::integer + %(m)s::integer", {"n": 1, "m": 2}),
                ("SELECT %(n)s::integer", {"n": 1}),
            ],
        ) == [[(3,)], [(1,)]]


def test_one_line_squeezes_line_breaks_and_refuses_sql_comments_and_literals():
    from foodbank.prepared import one_line

    assert (
        one_line("""
        SELECT a,
            b  FROM t
        WHERE a = %(a)s
    """)
        == "SELECT a, b  FROM t WHERE a = %(a)s"
    )
    with pytest.raises(ValueError, match="comment"):
        one_line("SELECT a -- the first\nFROM t")
    # A literal's own line breaks would be rewritten: values go in as parameters.
    with pytest.raises(ValueError, match="literal"):
        one_line("SELECT 'two\n  lines'")
    with pytest.raises(ValueError, match="literal"):
        one_line("SELECT $$two\n  lines$$")
    with pytest.raises(ValueError, match="literal"):
        one_line("SELECT $body$two\n  lines$body$")


@pytest.mark.binding
def test_the_connection_binds_as_configured():
    # CI runs the tests marked `binding` again with DB_PREPARED_STATEMENTS=0: this one fails if the
    # settings ignored the variable (that run would then bind on the server and test nothing new).
    on_server = env_bool("DB_PREPARED_STATEMENTS", True)
    assert binds_client_side(connection) is (connection.vendor == "postgresql" and not on_server)
