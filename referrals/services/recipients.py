"""Recipients: the person filed and their household, as the services take them."""

from collections.abc import Sequence
from dataclasses import dataclass

from foodbank.crypto import blind_index
from foodbank.models import Organisation

from ..models import Recipient


@dataclass(frozen=True)
class RecipientInput:
    """A recipient as validated by the API or the form (phone in E.164, address from Japan Post)."""

    name: str
    phone: str
    postal_code: str
    prefecture: str
    municipality: str
    municipality_code: str
    regional_bureau: str
    address: str
    building: str = ""
    name_kana: str = ""
    is_pseudonym: bool = False


@dataclass(frozen=True)
class HouseholdInput:
    type: str
    adults: int = 1
    children: int = 0
    children_ages: Sequence[int] = ()
    infants: int = 0
    elderly: int = 0


def _create_recipient(
    *, food_bank_id: int, agency: Organisation | None, data: RecipientInput, household: HouseholdInput
) -> Recipient:
    person = _recipient_row(food_bank_id=food_bank_id, agency=agency, data=data, household=household)
    person.save(force_insert=True)
    return person


def _recipient_row(
    *, food_bank_id: int, agency: Organisation | None, data: RecipientInput, household: HouseholdInput
) -> Recipient:
    """The recipient, not saved yet."""
    return Recipient(
        food_bank_id=food_bank_id,
        agency=agency,
        name=data.name,
        name_kana=data.name_kana,
        is_pseudonym=data.is_pseudonym,
        phone=data.phone,
        phone_index=blind_index(data.phone) if data.phone else "",
        postal_code=data.postal_code,
        prefecture=data.prefecture,
        municipality=data.municipality,
        municipality_code=data.municipality_code,
        regional_bureau=data.regional_bureau,
        address=data.address,
        building=data.building,
        household_type=household.type,
        adults=household.adults,
        children=household.children,
        children_ages=list(household.children_ages),
        infants=household.infants,
        elderly=household.elderly,
    )
