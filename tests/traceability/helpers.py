"""Traceability helpers: move donated lots (the ``donated`` fixture) through intake, assembly and
restocks with the real services."""

from dataclasses import dataclass

from inventory import intake, services
from inventory.lot_models import Donor, Lot


@dataclass
class Donated:
    donor: Donor
    rice: Lot
    noodles: Lot
    water: Lot


def receive(site, donor, user, *lines: intake.InspectedLine):
    return intake.record_inspected_donation(site=site, donor=donor, lines=list(lines), checked_by=user)


def assemble(network, pack_type, quantity, user):
    assembly = services.assemble_packs(
        site=network.warehouse, pack_type=pack_type, quantity=quantity, recorded_by=user
    )
    return assembly.lot


def restock(network, window, pack_type, quantity, coordinator, window_user=None):
    shipment = services.request_restock(site=window, lines={pack_type: quantity}, requested_by=coordinator)
    services.approve_restock(shipment_id=shipment.pk, approved_by=coordinator)
    services.mark_restock_packed(shipment_id=shipment.pk, packed_by=coordinator)
    services.confirm_restock_receipt(shipment_id=shipment.pk, received_by=window_user or coordinator)
    return shipment
