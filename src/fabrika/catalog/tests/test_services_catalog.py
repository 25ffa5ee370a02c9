"""Catalog services: the group tree, characteristics against the template, conversions, products."""

from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fabrika.audit.models import BusinessEvent
from fabrika.catalog import services
from fabrika.catalog.errors import GroupCycle, InUse
from fabrika.catalog.models import GroupCharacteristic, Product, ProductGroup, UnitConversion
from fabrika.catalog.queries import characteristic_template, group_descendant_ids, group_tree
from fabrika.core.errors import ValidationFailed
from fabrika.inventory.services import document_create, document_post, warehouse_create

from .conftest import row_counts

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def png(name="photo.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


# --- the group tree -------------------------------------------------------------------------------


def test_a_group_cannot_be_its_own_parent(tree):
    before = row_counts()
    with pytest.raises(GroupCycle) as refused:
        services.group_update(actor=None, group=tree["electronics"], data={"parent": tree["electronics"]})
    assert refused.value.path == ["Electronics", "Electronics"]
    assert refused.value.errors == {"parent": ["A group cannot be its own ancestor: Electronics › Electronics."]}
    assert row_counts() == before
    assert ProductGroup.objects.get(name="Electronics").parent == tree["components"]


def test_a_group_cannot_move_under_its_own_subgroup_and_the_loop_is_named(tree):
    before = row_counts()
    with pytest.raises(GroupCycle) as refused:
        services.group_move(actor=None, group=tree["components"], parent=tree["processors"])
    assert refused.value.path == ["Components", "Electronics", "Processors", "Components"]
    assert (
        str(refused.value) == "A group cannot be its own ancestor: Components › Electronics › Processors › Components."
    )
    assert refused.value.data == {"path": ["Components", "Electronics", "Processors", "Components"]}
    assert row_counts() == before
    assert ProductGroup.objects.get(name="Components").parent is None


def test_moving_a_group_elsewhere_is_fine_and_recorded(tree):
    services.group_move(actor=None, group=tree["processors"], parent=tree["components"])
    assert ProductGroup.objects.get(name="Processors").path == "Components / Processors"
    assert [(g.name, depth) for g, depth in group_tree()] == [
        ("Components", 0),
        ("Cases", 1),
        ("Electronics", 1),
        ("Processors", 1),
        ("Finished robots", 0),
    ]
    event = BusinessEvent.objects.get(event="catalog.group_moved")
    assert event.data == {"parent": [tree["electronics"].pk, tree["components"].pk]}


def test_descendants(tree):
    ids = group_descendant_ids(tree["components"])
    assert ids == {tree[k].pk for k in ("components", "electronics", "processors", "cases")}
    assert group_descendant_ids(tree["robots"]) == {tree["robots"].pk}


def test_a_group_with_subgroups_or_products_is_not_deleted(tree, cpu):
    with pytest.raises(InUse, match="Electronics holds 1 subgroups and 0 products"):
        services.group_delete(actor=None, group=tree["electronics"])
    with pytest.raises(InUse, match="Processors holds 0 subgroups and 1 products"):
        services.group_delete(actor=None, group=tree["processors"])
    services.group_delete(actor=None, group=tree["robots"])
    assert not ProductGroup.objects.filter(name="Finished robots").exists()


# --- characteristics ---------------------------------------------------------------------------------


def test_the_template_inherits_from_every_ancestor(tree, templates):
    names = [
        (c.name, c.inherited_from.name if c.inherited_from else None)
        for c in characteristic_template(tree["processors"])
    ]
    assert names == [
        ("supplier code", "Components"),
        ("voltage", "Electronics"),
        ("cores", None),
        ("frequency", None),
    ]
    assert [c.name for c in characteristic_template(tree["cases"])] == ["supplier code", "size", "colour"]
    assert characteristic_template(tree["robots"]) == []


def test_values_are_checked_and_stored_by_name(pcs, tree, templates):
    product = services.product_create(
        actor=None,
        data={"code": "CPU-8", "name": "Processor", "unit": pcs, "group": tree["processors"]},
        characteristics={"voltage": "3,30", "cores": 8, "frequency": 2.4, "supplier code": "  X-1 "},
    )
    assert product.characteristics == {"supplier code": "X-1", "voltage": "3.3", "cores": "8", "frequency": "2.4"}


def test_a_required_characteristic_is_missing(pcs, tree, templates):
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        services.product_create(
            actor=None,
            data={"code": "CPU-X", "name": "Processor", "unit": pcs, "group": tree["processors"]},
            characteristics={"cores": "4", "frequency": ""},
        )
    assert refused.value.errors == {"characteristics.voltage": ["voltage is required."]}
    assert row_counts() == before


def test_a_number_that_is_not_one(pcs, tree, templates):
    with pytest.raises(ValidationFailed) as refused:
        services.product_create(
            actor=None,
            data={"code": "CPU-X", "name": "Processor", "unit": pcs, "group": tree["processors"]},
            characteristics={"voltage": "5", "cores": "four", "frequency": "NaN"},
        )
    assert refused.value.errors == {
        "characteristics.cores": ["cores must be a number, not “four”."],
        "characteristics.frequency": ["frequency must be a number, not “NaN”."],
    }


def test_a_choice_that_is_not_in_the_list(pcs, tree, templates):
    with pytest.raises(ValidationFailed) as refused:
        services.product_create(
            actor=None,
            data={"code": "CASE-XL", "name": "Case XL", "unit": pcs, "group": tree["cases"]},
            characteristics={"size": "XL"},
        )
    assert refused.value.errors == {"characteristics.size": ["“XL” is not one of the choices of size: S, M, L."]}


def test_an_unknown_characteristic_and_other_errors_come_together(pcs, tree, templates, cpu):
    with pytest.raises(ValidationFailed) as refused:
        services.product_create(
            actor=None,
            data={"code": "CPU-4", "name": "", "unit": pcs, "group": tree["cases"]},
            characteristics={"size": "M", "cores": 4},
        )
    errors = refused.value.errors
    assert errors["characteristics.cores"] == ["The group Cases has no characteristic cores."]
    assert errors["code"] == ["Product with this Code already exists."]
    assert errors["name"] == ["This field cannot be blank."]


def test_changing_the_group_keeps_only_what_the_new_template_has(cpu, tree, templates):
    with pytest.raises(ValidationFailed) as refused:
        services.product_update(actor=None, product=cpu, data={"group": tree["cases"]})
    assert refused.value.errors == {"characteristics.size": ["size is required."]}
    product = services.product_update(
        actor=None, product=cpu, data={"group": tree["electronics"]}, characteristics=None
    )
    assert product.characteristics == {"voltage": "5"}


def test_renaming_a_characteristic_carries_the_values(cpu, templates):
    services.characteristic_save(
        actor=None, group=templates["cores"].group, data={"name": "CPU cores"}, characteristic=templates["cores"]
    )
    cpu.refresh_from_db()
    assert cpu.characteristics == {"voltage": "5", "CPU cores": "4", "frequency": "1.8"}


def test_deleting_a_characteristic_removes_its_values(cpu, templates):
    services.characteristic_delete(actor=None, characteristic=templates["voltage"])
    cpu.refresh_from_db()
    assert cpu.characteristics == {"cores": "4", "frequency": "1.8"}


def test_a_characteristic_needs_a_unique_name_and_choices(tree, templates):
    with pytest.raises(ValidationFailed) as refused:
        services.characteristic_save(actor=None, group=tree["cases"], data={"name": "size", "kind": "choice"})
    assert refused.value.errors == {
        "choices": ["List the choices, one per line."],
        "name": ["The group already has a characteristic size."],
    }
    char = services.characteristic_save(
        actor=None, group=tree["cases"], data={"name": "material", "kind": "choice", "choices": " ABS \n\nPLA\nABS"}
    )
    assert char.choice_list == ["ABS", "PLA"]


def test_characteristics_set_replaces_the_own_template(tree, templates):
    kept = templates["size"]
    services.characteristics_set(
        actor=None,
        group=tree["cases"],
        items=[
            {"id": kept.pk, "name": "size", "kind": "choice", "choices": "S\nM"},
            {"name": "weight", "kind": "number"},
        ],
    )
    assert list(GroupCharacteristic.objects.filter(group=tree["cases"]).values_list("name", "choices")) == [
        ("size", "S\nM"),
        ("weight", ""),
    ]


# --- unit conversions -------------------------------------------------------------------------------


@pytest.mark.parametrize("factor", [D("0"), D("-100")])
def test_a_conversion_factor_must_be_positive(pcs, box, factor):
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        services.product_create(
            actor=None,
            data={"code": "M4", "name": "M4 bolt", "unit": pcs},
            conversions=[{"unit": box, "factor": factor}],
        )
    assert refused.value.errors == {"conversions.0.factor": [f"The factor must be greater than zero (got {factor})."]}
    assert row_counts() == before


def test_conversions_of_the_own_unit_or_twice_are_refused(bolt, pcs, box):
    with pytest.raises(ValidationFailed) as refused:
        services.product_conversions_set(
            actor=None,
            product=bolt,
            conversions=[
                {"unit": pcs, "factor": D("1")},
                {"unit": box, "factor": D("100")},
                {"unit": box, "factor": D("50")},
            ],
        )
    assert refused.value.errors == {
        "conversions.0.unit": ["pcs is the product's own unit."],
        "conversions.2.unit": ["box is listed twice."],
    }
    assert list(UnitConversion.objects.values_list("unit__code", "factor")) == [("box", D("100.000000"))]


def test_conversions_are_replaced(bolt, box, kg):
    services.product_conversions_set(
        actor=None, product=bolt, conversions=[{"unit": kg, "factor": D("250")}, {"unit": box, "factor": D("200")}]
    )
    # The rows say everything: the box row came without its barcode, so it has none now.
    assert sorted(UnitConversion.objects.values_list("unit__code", "factor", "barcode")) == [
        ("box", D("200.000000"), ""),
        ("kg", D("250.000000"), ""),
    ]
    services.product_conversions_set(actor=None, product=bolt, conversions=[])
    assert not UnitConversion.objects.exists()


# --- products ---------------------------------------------------------------------------------------


def test_barcodes_are_unique_across_products_and_packages(bolt, pcs):
    with pytest.raises(ValidationFailed) as refused:
        services.product_create(
            actor=None, data={"code": "M5", "name": "M5 bolt", "unit": pcs, "barcode": "4006381333931"}
        )
    assert refused.value.errors == {"barcode": ["Barcode 4006381333931 is already used by M3 M3 bolt."]}


def test_the_base_unit_is_fixed_once_documents_count_the_product(cpu, kg):
    wh = warehouse_create(actor=None, data={"code": "MAIN", "name": "Main", "valuation": "fifo"})
    services.product_update(actor=None, product=cpu, data={"unit": kg})  # nothing counted yet
    services.product_update(actor=None, product=cpu, data={"unit": cpu.unit})
    doc = document_create(
        actor=None, type="receipt", data={"warehouse": wh}, lines=[{"product": cpu, "qty": D("2"), "price": D("9")}]
    )
    document_post(actor=None, document=doc)
    with pytest.raises(ValidationFailed) as refused:
        services.product_update(actor=None, product=cpu, data={"unit": kg, "type": "service"})
    assert refused.value.errors == {
        "unit": ["The unit cannot change: warehouse documents already count CPU-4 in pcs."],
        "type": ["CPU-4 is in stock and cannot become a service."],
    }


def test_archive_and_restore(robot):
    services.product_archive(actor=None, product=robot)
    services.product_archive(actor=None, product=robot)  # already archived: nothing more happens
    assert Product.objects.get(pk=robot.pk).active is False
    services.product_restore(actor=None, product=robot)
    assert Product.objects.get(pk=robot.pk).active is True
    events = list(
        BusinessEvent.objects.filter(event__startswith="catalog.product_", object_id=str(robot.pk))
        .order_by("id")
        .values_list("event", flat=True)
    )
    assert events == ["catalog.product_created", "catalog.product_archived", "catalog.product_restored"]


def test_photo_is_an_image_within_the_limit(robot, settings):
    with pytest.raises(ValidationFailed) as refused:
        services.product_update(actor=None, product=robot, data={}, photo=SimpleUploadedFile("x.png", b"not an image"))
    assert refused.value.errors == {"photo": ["The file is not an image."]}
    product = services.product_update(actor=None, product=robot, data={}, photo=png("whatever.gif"))
    assert product.photo.name == "products/r1.png"
    settings.MAX_UPLOAD_MB = 0
    with pytest.raises(ValidationFailed, match="limit is 0 MB"):
        services.product_update(actor=None, product=robot, data={}, photo=png())
    product = services.product_update(actor=None, product=robot, data={}, photo=False)
    assert not product.photo


def test_units_in_use_are_not_deleted(bolt, pcs, box, kg):
    with pytest.raises(InUse, match="pcs is the unit of 1 products and 0 conversions"):
        services.unit_delete(actor=None, unit=pcs)
    with pytest.raises(InUse, match="box is the unit of 0 products and 1 conversions"):
        services.unit_delete(actor=None, unit=box)
    services.unit_delete(actor=None, unit=kg)
