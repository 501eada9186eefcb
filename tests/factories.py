"""Factories that build state through the services, as production does (STYLE.md: Tests)."""

import factory

from portal.catalogue import services as catalogue
from portal.catalogue.models import Item
from portal.organisation import services as organisation
from portal.organisation.choices import DepartmentKind, UserKind
from portal.organisation.models import Department, User


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"DEPT-{n:03d}")
    name = factory.Sequence(lambda n: f"测试部门{n}")
    kind = DepartmentKind.FUNCTIONAL

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return organisation.save_department(model_class(*args, **kwargs), actor=None)


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"staff{n}")
    full_name = factory.Sequence(lambda n: f"工作人员{n}")
    kind = UserKind.STAFF

    @classmethod
    def _create(cls, model_class, *args, roles=(), password="pass-for-tests-2026", **kwargs):
        return organisation.save_user(model_class(*args, **kwargs), actor=None, roles=list(roles), password=password)


class ItemFactory(factory.django.DjangoModelFactory):
    """A publishable licensing item with one material; pass ``publish=True`` to publish it."""

    class Meta:
        model = Item

    implementation_code = factory.Sequence(lambda n: f"000133{n:06d}-T-01")
    name = factory.Sequence(lambda n: f"测试许可事项{n}")
    nature = "licensing"
    level = "city"
    status = "kept"
    catalogue_year = 2026
    legal_basis = "《中华人民共和国行政许可法》第十二条"
    statutory_limit = 20
    promised_limit = 5
    handling_class = "commitment"
    for_enterprises = True

    @classmethod
    def _create(cls, model_class, *args, publish=False, materials=None, actor=None, **kwargs):
        kwargs.setdefault(
            "basic_item",
            catalogue.ensure_basic_item(
                basic_code=kwargs["implementation_code"].split("-")[0], name=kwargs["name"],
                nature=kwargs["nature"], actor=None,
            ),
        )
        materials = materials if materials is not None else [
            {"name": "申请书", "form": "original", "copies": 1, "required": True}
        ]
        item = catalogue.create_item(actor=actor, materials=materials, **kwargs)
        if publish:
            catalogue.publish_item(item, actor=actor)
        return item
