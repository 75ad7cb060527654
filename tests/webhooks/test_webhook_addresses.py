"""A webhook never reaches a private address, even through a public-looking name
(webhooks/addresses.py, docs/webhooks.md "Addresses")."""

import errno
import socket
from dataclasses import dataclass, field

import pytest

from webhooks import addresses, sending, services
from webhooks.models import WebhookDelivery, WebhookEndpoint

from .receiver import Receiver, start_receiver

pytestmark = pytest.mark.django_db


def _resolves_privately(host: str) -> bool:
    try:
        found = socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return any(addresses.internal_address(info[4][0]) for info in found)


@pytest.fixture
def listener():
    """A bare TCP listener on the address this machine's name resolves to: any connection attempt
    would wait in its queue."""
    try:
        family, _, _, _, address = socket.getaddrinfo(socket.gethostname(), 0, type=socket.SOCK_STREAM)[0]
    except OSError:
        pytest.skip("this machine's name does not resolve")
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.bind(address)
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def _pending_delivery(network, case_worker_a, url: str) -> tuple[WebhookEndpoint, WebhookDelivery]:
    """An endpoint of agency A registered at ``url``, and one delivery waiting to be sent to it."""
    endpoint = services.register_endpoint(
        agency=network.agency_a, url=url, events=["delivery_request.approved"], by=case_worker_a
    ).endpoint
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id="evt_1",
        event_seq=1,
        request_id=1,
        event_type="delivery_request.approved",
        payload={"type": "delivery_request.approved"},
    )
    return endpoint, delivery


def _connections(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def test_a_name_that_resolves_to_a_private_address_is_never_sent_to(
    network, case_worker_a, listener, settings
):
    # Given a name that is no IP literal and not "localhost", so registration accepts it, but
    # that DNS resolves to this machine (the machine's own host name)
    name = socket.gethostname()
    if not _resolves_privately(name) or addresses.internal_host(name):
        pytest.skip(f"{name!r} does not resolve to a private address here")
    settings.WEBHOOK_INSECURE_HOSTS = []
    port = listener.getsockname()[1]
    endpoint, delivery = _pending_delivery(network, case_worker_a, f"https://{name}:{port}/hook")

    # When the sender tries it
    sent = sending.send_one(endpoint, delivery)

    # Then nothing went out: no connection was even opened to that address, and the delivery
    # log says why; it stays pending for the retries like any other failure
    assert sent is False
    assert _connections(listener) == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, "PrivateAddress")
    assert delivery.last_status_code is None


@pytest.mark.parametrize(
    ("url", "address", "expected"),
    [
        ("https://hooks.example.jp/in?x=1", "192.0.2.10", "https://192.0.2.10/in?x=1"),
        ("https://hooks.example.jp:8443/in", "2001:db8::5", "https://[2001:db8::5]:8443/in"),
    ],
)
def test_the_request_goes_to_the_checked_address(url, address, expected):
    assert addresses.pinned_url(url, address) == expected


@pytest.mark.parametrize(
    ("text", "internal"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("169.254.169.254", True),
        ("::ffff:10.0.0.1", True),
        ("fe80::1%eth0", True),
        ("8.8.8.8", False),
        ("2606:4700::1111", False),
    ],
)
def test_internal_addresses(text, internal):
    assert addresses.internal_address(text) is internal


# A public name with an IPv6 and an IPv4 address, as DNS gives many receivers, seen from a sender
# whose network has no IPv6 route. The outside world is stubbed at its edges only: DNS answers for
# HOST, and the network refuses the UNREACHABLE addresses and carries UP to the local receiver; the
# sender, httpx and the receiver are real.
HOST = "hooks.example.org"
DOWN, DOWN_TOO, DOWN_THREE, DOWN_FOUR = (f"2606:4700:4700::{n}" for n in (1111, 1001, 64, 6400))
UP, UP_TOO = "1.1.1.1", "1.0.0.1"
UNREACHABLE = {DOWN, DOWN_TOO, DOWN_THREE, DOWN_FOUR}


@dataclass
class Internet:
    receiver: Receiver
    port: int
    # What DNS answers for HOST (resolvers may repeat an address), and each connection attempt
    # made to HOST's addresses, with its timeout.
    answers: list[str] = field(default_factory=lambda: [DOWN, UP, UP])
    dialled: list[tuple[str, float]] = field(default_factory=list)


@pytest.fixture
def internet(monkeypatch, settings):
    settings.WEBHOOK_INSECURE_HOSTS = []
    settings.WEBHOOK_TIMEOUT_SECONDS = 3.0
    receiver, server = start_receiver()
    world = Internet(receiver=receiver, port=server.server_address[1])
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection

    def getaddrinfo(host, port, *args, **kwargs):
        if host != HOST:
            return real_getaddrinfo(host, port, *args, **kwargs)
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in world.answers
        ]

    def create_connection(address, timeout=None, *args, **kwargs):
        host = address[0]
        if host not in {*UNREACHABLE, UP, UP_TOO}:
            return real_connect(address, timeout, *args, **kwargs)
        world.dialled.append((host, timeout))
        if host in UNREACHABLE:
            raise OSError(errno.ENETUNREACH, "Network is unreachable")
        return real_connect(("127.0.0.1", world.port), timeout, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    yield world
    server.shutdown()
    server.server_close()


def _endpoint_at(network, case_worker_a, port: int):
    endpoint, delivery = _pending_delivery(network, case_worker_a, f"https://{HOST}:{port}/hook")
    # The local receiver speaks plain HTTP; the scheme changes nothing in which address is tried.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=f"http://{HOST}:{port}/hook")
    endpoint.refresh_from_db()
    return endpoint, delivery


def test_a_name_whose_first_address_is_unreachable_is_sent_to_its_next(network, case_worker_a, internet):
    endpoint, delivery = _endpoint_at(network, case_worker_a, internet.port)

    sent = sending.send_one(endpoint, delivery)

    # The IPv6 address failed to connect, so the same attempt went on to the IPv4 one (each
    # address once), and the receiver got the event once, under the endpoint's name. The two
    # shared the time to connect: the first was given half, and its instant failure handed the
    # rest on
    assert sent is True
    assert [host for host, _timeout in internet.dialled] == [DOWN, UP]
    assert internet.dialled[0][1] <= 1.5 < internet.dialled[1][1] <= 3.0
    [got] = internet.receiver.deliveries("/hook")
    headers = {name.lower(): value for name, value in got.headers.items()}
    assert (headers["host"], headers["webhook-id"]) == (f"{HOST}:{internet.port}", "evt_1")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 1, "")


def test_when_no_address_connects_the_delivery_waits_for_its_retry(network, case_worker_a, internet):
    internet.answers = [DOWN, DOWN_TOO]
    endpoint, delivery = _endpoint_at(network, case_worker_a, internet.port)

    sent = sending.send_one(endpoint, delivery)

    assert [host for host, _timeout in internet.dialled] == [DOWN, DOWN_TOO]
    assert sent is False
    assert internet.receiver.deliveries("/hook") == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, "ConnectError")


@pytest.mark.parametrize(
    ("answer", "code", "error"),
    [("500", 500, "HTTP 500"), ("slow", None, "ReadTimeout")],  # slow: after the sender gave up
)
def test_once_connected_the_event_is_not_sent_to_another_address(
    network, case_worker_a, internet, settings, answer, code, error
):
    # Given a name with two addresses that both reach the receiver, which answers the first
    # request with an error, or too late
    settings.WEBHOOK_TIMEOUT_SECONDS = 1.0
    internet.receiver.slow_seconds = 2.0
    internet.answers = [UP, UP_TOO]
    internet.receiver.scripts["/hook"] = [answer]
    endpoint, delivery = _endpoint_at(network, case_worker_a, internet.port)

    sent = sending.send_one(endpoint, delivery)

    # The body arrived, or may have, so the attempt ends there and waits for its retry: the
    # second address is not tried, and the receiver heard the event once
    assert sent is False
    assert [host for host, _timeout in internet.dialled] == [UP]
    assert len(internet.receiver.deliveries("/hook")) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        "pending",
        1,
        code,
        error,
    )


def test_a_private_address_anywhere_in_the_answer_refuses_the_name(network, case_worker_a, internet):
    # Beyond the three addresses that would be tried, too
    internet.answers = [UP, UP_TOO, DOWN, "169.254.169.254"]
    endpoint, delivery = _endpoint_at(network, case_worker_a, internet.port)

    sent = sending.send_one(endpoint, delivery)

    assert sent is False
    assert internet.dialled == []
    assert internet.receiver.deliveries("/hook") == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("pending", "PrivateAddress")


@pytest.mark.parametrize(
    ("answers", "dialled", "sent"),
    [
        # The families alternate: IPv4 comes second however many IPv6 addresses come first
        ([DOWN, DOWN_TOO, DOWN_THREE, UP], [DOWN, UP], True),
        # At most three addresses in one attempt
        ([DOWN, DOWN_TOO, DOWN_THREE, DOWN_FOUR], [DOWN, DOWN_TOO, DOWN_THREE], False),
    ],
)
def test_which_addresses_are_tried(network, case_worker_a, internet, answers, dialled, sent):
    internet.answers = answers
    endpoint, delivery = _endpoint_at(network, case_worker_a, internet.port)

    assert sending.send_one(endpoint, delivery) is sent
    assert [host for host, _timeout in internet.dialled] == dialled
    assert len(internet.receiver.deliveries("/hook")) == int(sent)
