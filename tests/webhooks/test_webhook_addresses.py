"""A webhook never reaches a private address, even through a public-looking name
(webhooks/addresses.py, docs/webhooks.md "Addresses")."""

import socket

import pytest

from webhooks import addresses, sending, services
from webhooks.models import WebhookDelivery

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
    endpoint = services.register_endpoint(
        agency=network.agency_a,
        url=f"https://{name}:{port}/hook",
        events=["delivery_request.approved"],
        by=case_worker_a,
    ).endpoint
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id="evt_private",
        event_seq=1,
        request_id=1,
        event_type="delivery_request.approved",
        payload={"type": "delivery_request.approved"},
    )

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
