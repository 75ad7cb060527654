"""factory_boy factories for the shared core. Apps add theirs in their own test folders."""

import factory
from django.contrib.auth import get_user_model

from foodbank.models import Membership, Organisation, Role, Site


class FoodBankFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"foodbank-{n}")
    name = factory.Sequence(lambda n: f"フードバンク{n}")
    kind = Organisation.Kind.FOOD_BANK
    food_bank = None
    municipality = "札幌市東区"
    regional_bureau = "ishikari"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    code = factory.Sequence(lambda n: f"agency-{n}")
    name = factory.Sequence(lambda n: f"相談支援機関{n}")
    kind = Organisation.Kind.SOCIAL_WELFARE_COUNCIL
    food_bank = factory.SubFactory(FoodBankFactory)
    municipality = "小樽市"
    regional_bureau = "shiribeshi"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    code = factory.Sequence(lambda n: f"site-{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    food_bank = factory.LazyAttribute(
        lambda o: Organisation.objects.get(pk=o.organisation.food_bank_id_for_scope)
    )
    kind = Site.Kind.WINDOW
    name = factory.Sequence(lambda n: f"相談窓口{n}")
    postal_code = "0470024"
    prefecture = "北海道"
    municipality = "小樽市"
    municipality_code = "01203"
    regional_bureau = "shiribeshi"
    address = "花園2丁目6-7"
    opening_hours = "月〜金 9:00–17:00"


class WarehouseFactory(SiteFactory):
    kind = Site.Kind.WAREHOUSE
    organisation = factory.LazyAttribute(lambda o: o.food_bank)
    food_bank = factory.SubFactory(FoodBankFactory)
    name = factory.Sequence(lambda n: f"倉庫{n}")
    postal_code = "0650011"
    municipality = "札幌市東区"
    municipality_code = "01103"
    regional_bureau = "ishikari"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.CASE_WORKER
    organisation = factory.SubFactory(OrganisationFactory)
    site = None
    food_bank = factory.LazyAttribute(
        lambda o: Organisation.objects.get(pk=o.organisation.food_bank_id_for_scope)
    )
