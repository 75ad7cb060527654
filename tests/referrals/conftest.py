import pytest

from .factories import file_request


@pytest.fixture
def submitted(network, case_worker_a):
    """A request filed by agency A's case worker, waiting for triage."""
    return file_request(case_worker_a, network.agency_a)


@pytest.fixture
def agency_b_request(network, case_worker_b):
    return file_request(case_worker_b, network.agency_b)
