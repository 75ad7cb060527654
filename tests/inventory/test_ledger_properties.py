"""Property-based test of the ledger: random sequences of receipts, assembly, transfers (restock
shipments), handouts, voids, adjustments, write-offs and reservations. Whatever happens, no balance
is negative, every balance equals its ledger sum, and the stock is what a simple model says."""

from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from foodbank.exceptions import InvalidTransition
from foodbank.models import Role
from inventory import services
from inventory.exceptions import InsufficientStock
from inventory.models import Balance, Handout, MovementKind, ReasonCode
from inventory.selectors import ledger_differences
from tests.factories import FoodBankFactory, OrganisationFactory, SiteFactory, WarehouseFactory
from tests.helpers import make_actor

from .factories import ItemFactory, PackTypeFactory

BEST_BEFORE_DAYS = [-3, 2, 15, 90, None]  # an expired lot, soon, later, undated
RECIPES = {"day1": {"noodles": 1, "rice": 2}, "day3": {"noodles": 3, "rice": 6}}
# Operations that went through (not refused), to show the run was not vacuous.
DONE: Counter[str] = Counter()


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # Each example runs in a savepoint rolled back at the end (the test's transaction stays).
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.today = timezone.localdate()
        fb = FoodBankFactory()
        self.food_bank = fb
        self.warehouse = WarehouseFactory(food_bank=fb, organisation=fb)
        agency = OrganisationFactory(food_bank=fb)
        self.windows = [SiteFactory(organisation=agency, food_bank=fb) for _ in range(2)]
        self.user = make_actor(f"staff-{fb.pk}", Role.COORDINATOR, fb)
        self.items = {code: ItemFactory(food_bank=fb, code=code) for code in ("noodles", "rice")}
        self.packs = {
            code: PackTypeFactory(food_bank=fb, code=code, name=code, days=int(code[-1])) for code in RECIPES
        }
        for code, contents in RECIPES.items():
            services.set_pack_recipe(
                pack_type=self.packs[code], lines=[(self.items[i], q) for i, q in contents.items()]
            )
        # The model: physical stock (on hand + reserved) per (site id, sku code).
        self.model: dict[tuple[int, str], int] = defaultdict(int)
        self.handouts: list[tuple[int, int, dict[str, int]]] = []  # (handout id, site id, lines)
        self.reservations: list[tuple[str, dict[str, int]]] = []
        self.counter = 0
        # Opening stock, so that every kind of operation can succeed from the first step.
        self.opening = True
        self.receive_donation("noodles", 40, 90)
        self.receive_donation("rice", 80, 15)
        self.assemble("day1", 6)
        self.assemble("day3", 3)
        for window in (0, 1):
            self.transfer(window, "day1", 2)
            self.transfer(window, "day3", 1)
        self.opening = False

    def done(self, what: str) -> None:
        if not self.opening:
            DONE[what] += 1

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def _date(self, days):
        return None if days is None else self.today + timedelta(days=days)

    def _snapshot(self):
        return sorted(
            Balance.objects.filter(food_bank=self.food_bank).values_list("pk", "on_hand", "reserved")
        )

    @rule(
        item=st.sampled_from(["noodles", "rice"]),
        quantity=st.integers(1, 40),
        days=st.sampled_from(BEST_BEFORE_DAYS),
    )
    def receive_donation(self, item, quantity, days):
        services.record_donation_receipt(
            site=self.warehouse,
            donor_type="food_drive",
            weight_kg="1.00",
            lines=[
                services.ReceiptLineIn(item=self.items[item], quantity=quantity, best_before=self._date(days))
            ],
            recorded_by=self.user,
        )
        self.model[(self.warehouse.pk, item)] += quantity

    @rule(pack=st.sampled_from(list(RECIPES)), quantity=st.integers(1, 6))
    def assemble(self, pack, quantity):
        before = self._snapshot()
        try:
            services.assemble_packs(site=self.warehouse, pack_type=self.packs[pack], quantity=quantity)
        except InsufficientStock:
            assert self._snapshot() == before
            return
        self.done("assembly")
        for item, per_pack in RECIPES[pack].items():
            self.model[(self.warehouse.pk, item)] -= per_pack * quantity
        self.model[(self.warehouse.pk, pack)] += quantity

    @rule(window=st.integers(0, 1), pack=st.sampled_from(list(RECIPES)), quantity=st.integers(1, 5))
    def transfer(self, window, pack, quantity):
        """A restock shipment from the warehouse, all the way to the window."""
        site = self.windows[window]
        shipment = services.request_restock(
            site=site, lines={self.packs[pack]: quantity}, requested_by=self.user
        )
        services.approve_restock(shipment_id=shipment.pk, approved_by=self.user)
        before = self._snapshot()
        try:
            services.mark_restock_booked(shipment_id=shipment.pk, dispatch_reference=f"batch-{shipment.pk}")
        except InsufficientStock:
            assert self._snapshot() == before
            services.cancel_restock(shipment_id=shipment.pk)
            return
        self.done("transfer")
        services.mark_restock_packed(shipment_id=shipment.pk)
        self.model[(self.warehouse.pk, pack)] -= quantity
        services.confirm_restock_receipt(shipment_id=shipment.pk, received_by=self.user)
        self.model[(site.pk, pack)] += quantity

    @rule(window=st.integers(0, 1), day1=st.integers(0, 3), day3=st.integers(0, 3))
    def hand_out(self, window, day1, day3):
        lines = {code: q for code, q in (("day1", day1), ("day3", day3)) if q}
        if not lines:
            return
        site = self.windows[window]
        before = self._snapshot()
        try:
            handout = services.record_handout(
                site=site, lines=lines, household_size=1, household_type="single", recorded_by=self.user
            )
        except InsufficientStock:
            assert self._snapshot() == before
            return
        self.done("handout")
        for code, quantity in lines.items():
            self.model[(site.pk, code)] -= quantity
        self.handouts.append((handout.pk, site.pk, lines))

    @rule(data=st.data())
    def void_handout(self, data):
        if not self.handouts:
            return
        handout_id, site_id, lines = data.draw(st.sampled_from(self.handouts))
        already = Handout.objects.get(pk=handout_id).voided_at is not None
        services.void_handout(handout_id=handout_id, voided_by=self.user)
        if not already:
            for code, quantity in lines.items():
                self.model[(site_id, code)] += quantity

    @rule(
        where=st.integers(0, 2),
        sku=st.sampled_from(["noodles", "rice", "day1", "day3"]),
        days=st.sampled_from(BEST_BEFORE_DAYS),
        quantity=st.integers(-8, 8).filter(bool),
        write_off=st.booleans(),
    )
    def adjust(self, where, sku, days, quantity, write_off):
        site = [self.warehouse, *self.windows][where]
        kind = MovementKind.WRITE_OFF if write_off and quantity < 0 else MovementKind.ADJUSTMENT
        target = {"item": self.items[sku]} if sku in self.items else {"pack_type": self.packs[sku]}
        before = self._snapshot()
        try:
            services.record_adjustment(
                site=site,
                quantity=quantity,
                reason=ReasonCode.DAMAGED if kind == MovementKind.WRITE_OFF else ReasonCode.COUNT_DIFFERENCE,
                kind=kind,
                best_before=self._date(days),
                recorded_by=self.user,
                **target,
            )
        except InsufficientStock:
            assert self._snapshot() == before
            return
        self.model[(site.pk, sku)] += quantity

    @rule(pack=st.sampled_from(list(RECIPES)), quantity=st.integers(1, 4), item_quantity=st.integers(0, 5))
    def reserve_for_a_parcel(self, pack, quantity, item_quantity):
        self.counter += 1
        reference = f"parcel:{self.counter}"
        lines = [services.StockNeed(pack_type=self.packs[pack], quantity=quantity)]
        if item_quantity:
            lines.append(services.StockNeed(item=self.items["noodles"], quantity=item_quantity))
        before = self._snapshot()
        try:
            services.reserve_stock(site=self.warehouse, lines=lines, reference=reference)
        except InsufficientStock:
            assert self._snapshot() == before
            return
        # Reserving twice under one reference changes nothing.
        services.reserve_stock(site=self.warehouse, lines=lines, reference=reference)
        self.reservations.append((reference, {pack: quantity, "noodles": item_quantity}))

    @rule(data=st.data(), pack_it=st.booleans())
    def close_a_reservation(self, data, pack_it):
        if not self.reservations:
            return
        reference, amounts = data.draw(st.sampled_from(self.reservations))
        self.reservations.remove((reference, amounts))
        if pack_it:
            services.consume_reservation(reference=reference, recorded_by=self.user)
            for sku, quantity in amounts.items():
                self.model[(self.warehouse.pk, sku)] -= quantity
        else:
            services.release_reservation(reference=reference)
        # Closing the same way again changes nothing; the other way is refused.
        before = self._snapshot()
        (services.consume_reservation if pack_it else services.release_reservation)(reference=reference)
        with pytest.raises(InvalidTransition):
            (services.release_reservation if pack_it else services.consume_reservation)(reference=reference)
        assert self._snapshot() == before

    @invariant()
    def no_balance_is_negative(self):
        assert not Balance.objects.filter(Q(on_hand__lt=0) | Q(reserved__lt=0)).exists()

    @invariant()
    def balances_equal_the_ledger(self):
        assert ledger_differences(food_bank_id=self.food_bank.pk) == []

    @invariant()
    def stock_is_what_the_model_says(self):
        actual = defaultdict(int)
        for row in (
            Balance.objects.filter(food_bank=self.food_bank)
            .values("site_id", "item__code", "pack_type__code")
            .annotate(total=Sum(F("on_hand") + F("reserved")))
        ):
            actual[(row["site_id"], row["item__code"] or row["pack_type__code"])] += row["total"]
        assert {k: v for k, v in actual.items() if v} == {k: v for k, v in self.model.items() if v}


@pytest.mark.django_db
def test_ledger_stays_balanced_under_random_operations():
    DONE.clear()
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            # The same examples on every run: CI never flakes, and the check below that the runs were
            # not vacuous holds by construction. Set derandomize=False locally to explore further.
            derandomize=True,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            database=None,
        ),
    )
    # Then (beyond the invariants checked after every step) the runs really moved stock around.
    assert DONE["handout"] > 0
    assert DONE["transfer"] > 0
    assert DONE["assembly"] > 0
