"""The objects the authorisation matrix names, in three places, built on first use.

* ``own`` — window A (agency A) of the food bank "fb": the object the acting user's role is about
  (the coordinator's, volunteer's and integration's food bank; window staff A's window; case
  worker A's agency).
* ``sibling`` — window B (agency B) of the same food bank: another organisation's object.
* ``foreign`` — the other food bank's window, agency and warehouse.

Objects are made through the services, as the API and the demo make them. Each is built only when
a row needs it, so one matrix row costs only what it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from console import accounts as console_accounts
from foodbank import tokens
from foodbank.models import Organisation, Role, Site
from inventory import intake
from inventory import recall as recalls
from inventory import services as inventory
from inventory.models import Item
from referrals import services as referrals
from referrals.models import ConsentRecord, DeliveryRequest, HandoutContact, Referral
from referrals.referral_views import contact_recipient
from shipping import services as shipping
from shipping.carriers import box_reference
from shipping.models import BatchDocument, PantryShipment, Parcel
from tests.factories import OrganisationFactory, UserFactory, WarehouseFactory
from tests.helpers import Network, make_actor
from tests.inventory.factories import ItemFactory, PackTypeFactory
from tests.inventory.helpers import put_stock
from tests.referrals.factories import file_request
from tests.shipping.integration import make_b2_account, run_batch, tomorrow_batch
from webhooks import services as webhook_services
from webhooks.models import WebhookDelivery

PLACES = ("own", "sibling", "foreign")
NONEXISTENT_ID = 987_654_321
# A B2 tracking number per place (11 digits and their check digit, mod 7): numbers are unique.
TRACKING = {place: f"{n:011d}{n % 7}" for n, place in enumerate(PLACES, start=40000000001)}


@dataclass
class Place:
    food_bank: Organisation
    warehouse: Site
    agency: Organisation
    window: Site


class World:
    def __init__(self, network: Network, actors: dict):
        self.network = network
        self.actors = actors  # role -> user acting in the "own" place
        n = network
        other_warehouse = WarehouseFactory(
            code="wh-other", food_bank=n.other_food_bank, organisation=n.other_food_bank
        )
        self.places = {
            "own": Place(n.food_bank, n.warehouse, n.agency_a, n.window_a),
            "sibling": Place(n.food_bank, n.warehouse, n.agency_b, n.window_b),
            "foreign": Place(n.other_food_bank, other_warehouse, n.other_agency, n.other_window),
        }
        self._cache: dict[tuple[str, str], object] = {}
        self._users: dict[tuple[str, int], object] = {}

    # --- people of each place (who made the objects) ----------------------------------------------

    def _user(self, role: str, organisation: Organisation, site: Site | None = None):
        key = (role, (site or organisation).pk)
        if key not in self._users:
            self._users[key] = make_actor(
                f"{role}-{organisation.code}-{site.code if site else ''}", role, organisation, site
            )
        return self._users[key]

    def coordinator_of(self, place: str):
        p = self.places[place]
        if place != "foreign" and "coordinator" in self.actors:
            return self.actors["coordinator"]
        return self._user(Role.COORDINATOR, p.food_bank)

    def window_staff_of(self, place: str):
        p = self.places[place]
        if place == "own" and "window_staff" in self.actors:
            return self.actors["window_staff"]
        return self._user(Role.WINDOW_STAFF, p.agency, p.window)

    def case_worker_of(self, place: str):
        p = self.places[place]
        if place == "own" and "case_worker" in self.actors:
            return self.actors["case_worker"]
        return self._user(Role.CASE_WORKER, p.agency)

    # --- reference data per food bank --------------------------------------------------------------

    def catalogue(self, place: str) -> dict:
        fb = self.places[place].food_bank
        key = ("catalogue", fb.code)
        if key not in self._cache:
            day1 = PackTypeFactory(food_bank=fb, code="day1", name="1日分セット", days=1, sort_order=1)
            day3 = PackTypeFactory(food_bank=fb, code="day3", name="3日分セット", days=3, sort_order=2)
            home = PackTypeFactory(food_bank=fb, code="home", name="家庭向けパック", days=7, sort_order=3)
            noodles = ItemFactory(food_bank=fb, code="noodles", name="カップ麺", weight_kg="0.080")
            rice = ItemFactory(food_bank=fb, code="rice", name="パックご飯", weight_kg="0.200")
            coordinator = self.coordinator_of(place)
            for pack, lines in (
                (day1, [(noodles, 1), (rice, 2)]),
                (day3, [(noodles, 3), (rice, 6)]),
                (home, [(noodles, 5), (rice, 10)]),
            ):
                inventory.set_pack_recipe(pack_type=pack, lines=lines, created_by=coordinator)
            # The warehouse holds what restocks, assemblies and parcels need.
            warehouse = self.places[place].warehouse
            for pack in (day1, day3, home):
                put_stock(warehouse, pack_type=pack, quantity=50)
            for item in (noodles, rice):
                put_stock(warehouse, item=item, quantity=200)
            self._cache[key] = {"day1": day1, "day3": day3, "home": home, "noodles": noodles, "rice": rice}
        return self._cache[key]

    # --- the objects, one per kind and place -----------------------------------------------------

    def obj(self, kind: str, place: str):
        key = (kind, place)
        if key not in self._cache:
            self._cache[key] = getattr(self, f"_make_{kind}")(place)
        return self._cache[key]

    def _make_window(self, place):
        return self.places[place].window

    def _make_warehouse(self, place):
        return self.places[place].warehouse

    def _make_pack_type(self, place):
        return self.catalogue(place)["day1"]

    def _make_item(self, place) -> Item:
        return self.catalogue(place)["noodles"]

    def _make_window_stock(self, place):
        """The window's stock: ten 1-day and ten 3-day sets (its first movement is returned)."""
        c = self.catalogue(place)
        window = self.places[place].window
        movement = put_stock(window, pack_type=c["day1"], quantity=10)
        put_stock(window, pack_type=c["day3"], quantity=10)
        return movement

    def _make_donor(self, place):
        p = self.places[place]
        return intake.save_donor(food_bank=p.food_bank, kind="company", name=f"寄附企業 {p.agency.code}")

    def _make_donation(self, place):
        c = self.catalogue(place)
        return intake.record_inspected_donation(
            site=self.places[place].warehouse,
            donor=self.obj("donor", place),
            lines=[intake.InspectedLine(item=c["noodles"], quantity=5, allergens=["wheat"])],
            checked_by=self.coordinator_of(place),
        )

    def _make_lot(self, place):
        return self.obj("donation", place).lines.get().lot

    def _make_recall(self, place):
        return recalls.start_recall(
            food_bank=self.places[place].food_bank,
            reason="回収",
            started_by=self.coordinator_of(place),
            lot=self.obj("lot", place),
        )

    def _make_movement(self, place):
        return self.obj("window_stock", place)

    def _make_handout(self, place):
        self.obj("window_stock", place)
        return inventory.record_handout(
            site=self.places[place].window,
            lines={"day1": 1},
            household_size=2,
            household_type="single_parent",
            recorded_by=self.window_staff_of(place),
            note="ガス停止中",
        )

    def _make_stock_take(self, place):
        self.obj("window_stock", place)
        counter = UserFactory(username=f"counter-{place}")
        return inventory.record_stock_take(
            site=self.places[place].window,
            lines=[
                inventory.CountIn(
                    counted=9,
                    pack_type=self.catalogue(place)["day1"],
                    best_before=_in_days(90),
                    reason="damaged",
                )
            ],
            counted_by=counter,
        )

    def _make_restock(self, place):
        """A restock the window asked for (status ``requested``)."""
        return inventory.request_restock(
            site=self.places[place].window,
            lines={self.catalogue(place)["day1"]: 5},
            requested_by=self.window_staff_of(place),
        )

    def _make_restock_approved(self, place):
        shipment = inventory.request_restock(
            site=self.places[place].window,
            lines={self.catalogue(place)["day3"]: 2},
            requested_by=self.window_staff_of(place),
        )
        return inventory.approve_restock(shipment_id=shipment.pk, approved_by=self.coordinator_of(place))

    def _make_restock_packed(self, place):
        shipment = self._make_restock_approved(place)
        return inventory.mark_restock_packed(shipment_id=shipment.pk, packed_by=self.coordinator_of(place))

    def _make_delivery_request(self, place):
        return file_request(
            self.case_worker_of(place),
            self.places[place].agency,
            situation_note=f"situation-{place}",
        )

    def _make_webhook_endpoint(self, place):
        return webhook_services.register_endpoint(
            agency=self.places[place].agency,
            url=f"https://receiver.example.org/{place}",
            events=["delivery_request.approved"],
            by=self.case_worker_of(place),
        ).endpoint

    def _make_webhook_delivery(self, place):
        request = self.obj("delivery_request", place)
        return WebhookDelivery.objects.create(
            endpoint=self.obj("webhook_endpoint", place),
            event_id=f"evt_dr_matrix_{place}",
            event_seq=1,
            request_id=request.pk,
            event_type="delivery_request.approved",
            payload={"id": f"evt_dr_matrix_{place}"},
            status=WebhookDelivery.Status.FAILED,
        )

    def _make_consent(self, place):
        request = self.obj("delivery_request", place)
        return ConsentRecord.objects.filter(recipient_id=request.recipient_id, purpose="referral").get()

    def _make_enrolment(self, place):
        request = self.obj("delivery_request", place)
        return referrals.enrol_in_monthly_programme(
            request_id=request.pk, by=self.coordinator_of(place), starts_on=timezone.localdate()
        )

    def _make_referral(self, place) -> Referral:
        request = self.obj("delivery_request", place)
        return referrals.create_referral(
            by=self.coordinator_of(place),
            recipient_id=request.recipient_id,
            source="delivery_request",
            delivery_request_id=request.pk,
            target=self.places[place].window,
        )

    def _make_referral_acknowledged(self, place) -> Referral:
        referral = self.obj("referral", place)
        return referrals.acknowledge_referral(referral_id=referral.pk, by=self.window_staff_of(place))

    def _make_batch(self, place):
        """A built B2 batch of the place's food bank with one parcel (a separate approved request)."""
        if place == "sibling":
            return self.obj("batch", "own")
        self.catalogue(place)
        request = file_request(self.case_worker_of(place), self.places[place].agency)
        referrals.approve_request(request_id=request.pk, by=self.coordinator_of(place))

        DeliveryRequest.objects.filter(pk=request.pk).update(approved_at=timezone.now() - timedelta(hours=1))
        account = make_b2_account(self.places[place].food_bank)
        batch = run_batch(tomorrow_batch(account).pk)
        assert BatchDocument.objects.filter(batch=batch).count() == 4
        return batch

    def _make_parcel(self, place) -> Parcel:
        return Parcel.objects.filter(batch=self.obj("batch", place)).get()

    def _make_parcel_labelled(self, place) -> Parcel:
        """The batch's parcel packed, with its B2 label issued (tracking number imported): ready
        to be handed over."""
        if place == "sibling":
            return self.obj("parcel_labelled", "own")
        parcel = self.obj("parcel", place)
        shipping.mark_packed(parcel_id=parcel.pk, by=self.coordinator_of(place))
        # One issued-data row per box (a household's parcel may fill several: docs/shipping-b2.md).
        first = int(TRACKING[place][:11])
        issued = "".join(
            f"{box_reference(parcel.reference, box, parcel.boxes)},0,,{n:011d}{n % 7}\r\n"
            for box, n in ((box, first + 100 * (box - 1)) for box in range(1, parcel.boxes + 1))
        ).encode("cp932")
        coordinator = self.coordinator_of(place)
        result = shipping.import_tracking(batch_id=parcel.batch_id, data=issued, by=coordinator)
        assert not result["rejected"], result
        return Parcel.objects.get(pk=parcel.pk)

    def _make_batch_ready(self, place):
        """A batch whose parcel is packed and labelled: the hand-over has something to hand over."""
        return self.obj("parcel_labelled", place).batch

    def _make_parcel_handed_over(self, place) -> Parcel:
        if place == "sibling":
            return self.obj("parcel_handed_over", "own")
        parcel = self.obj("parcel_labelled", place)
        assert shipping.mark_handed_over(batch_id=parcel.batch_id, by=self.coordinator_of(place)) == 1
        return Parcel.objects.get(pk=parcel.pk)

    def _make_pantry_partner(self, place) -> Organisation:
        """A pantry group (children's cafeteria) of the place's food bank; the sibling's is another
        group of the same food bank."""
        return OrganisationFactory(
            code=f"pantry-{place}",
            food_bank=self.places[place].food_bank,
            name=f"こども食堂-{place}",
            kind=Organisation.Kind.PANTRY_GROUP,
        )

    def _make_pantry_shipment(self, place) -> PantryShipment:
        return shipping.create_pantry_shipment(
            food_bank_id=self.places[place].food_bank.pk,
            by=self.coordinator_of(place),
            partner=self.obj("pantry_partner", place),
            pack_type=self.catalogue(place)["day3"],
            quantity=6,
            contact_name="佐藤 花子",
            postal_code="0600001",
            address="北海道札幌市中央区北一条西2丁目",
        )

    def _make_consenting_handout(self, place):
        """A handout at the place's window where the person asked to be referred."""
        self.obj("window_stock", place)
        return inventory.record_handout(
            site=self.places[place].window,
            lines={"day3": 1},
            household_size=2,
            household_type="single_parent",
            referral_consent=True,
            recorded_by=self.window_staff_of(place),
        )

    def _make_handout_contact(self, place) -> HandoutContact:
        """The named person behind a consenting handout, waiting for the coordinator's referral."""
        handout = self.obj("consenting_handout", place)
        return referrals.record_handout_contact(
            handout_id=handout.pk,
            by=self.window_staff_of(place),
            recipient=contact_recipient(
                site=handout.site,
                name=f"小樽 太郎-{place}",
                name_kana="オタル タロウ",
                is_pseudonym=False,
                phone="+819022223333",
            ),
            household_type=handout.household_type,
            household_size=handout.household_size,
        )

    def _make_agency_referral(self, place) -> Referral:
        """A referral addressed to the place's agency (not to its window): in the inbox of the
        agency's case workers and of its windows' staff."""
        request = self.obj("delivery_request", place)
        return referrals.create_referral(
            by=self.coordinator_of(place),
            recipient_id=request.recipient_id,
            source="delivery_request",
            delivery_request_id=request.pk,
            target=self.places[place].agency,
        )

    def _make_agency_referral_acknowledged(self, place) -> Referral:
        referral = self.obj("agency_referral", place)
        return referrals.acknowledge_referral(referral_id=referral.pk, by=self.case_worker_of(place))

    # --- the coordinators' console (console/) ------------------------------------------------------

    def _make_organisation(self, place) -> Organisation:
        return self.places[place].agency

    def _make_staff(self, place):
        """A window staff member of the place's window (not the acting user)."""
        p = self.places[place]
        return make_actor(f"staff-{place}", Role.WINDOW_STAFF, p.agency, p.window)

    def _make_system_account(self, place):
        """An agency's case-management system: a case-worker account of the place's agency (API
        tokens are issued to systems' accounts only)."""
        p = self.places[place]
        return make_actor(f"system-{place}", Role.CASE_WORKER, p.agency)

    def _make_token(self, place):
        token, _key = tokens.issue_token(user=self.obj("staff", place), name=f"system-{place}")
        return token

    def _make_carrier_account(self, place):
        if place == "sibling":
            return self.obj("carrier_account", "own")
        return make_b2_account(self.places[place].food_bank, name=f"B2 console {place}")

    def _make_person(self, place):
        return self.obj("delivery_request", place).recipient

    def _make_invitation(self, place):
        """An open invitation of a new staff member of the place's window; ``secret`` is the link's."""
        p = self.places[place]
        links = []
        _user, invitation = console_accounts.invite_staff(
            by=self.coordinator_of(place),
            food_bank=p.food_bank,
            username=f"invited-{place}",
            full_name="招待 花子",
            email=f"invited-{place}@example.jp",
            role=Role.WINDOW_STAFF,
            organisation=p.agency,
            site=p.window,
            link_for=lambda secret: links.append(secret) or secret,
        )
        invitation.secret = links[0]
        return invitation


def _in_days(days: int):
    return timezone.localdate() + timedelta(days=days)
