from django.db import transaction
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event
from fabrika.core.records import apply, validate

from ..models import Location, Warehouse

VIRTUAL_NAMES = {
    Location.Kind.SUPPLIER: "Suppliers",
    Location.Kind.CUSTOMER: "Customers",
    Location.Kind.PRODUCTION: "Production",
    Location.Kind.SCRAP: "Scrap",
    Location.Kind.ADJUSTMENT: "Inventory adjustments",
    Location.Kind.TRANSIT: "Transit",
}


def virtual_location(kind: str) -> Location:
    """The one location of a virtual kind (supplier, customer, production, scrap, adjustment, transit)."""
    location = Location.objects.filter(kind=kind).first()
    if location is None:
        location, _created = Location.objects.get_or_create(kind=kind, defaults={"name": VIRTUAL_NAMES[kind]})
    return location


def storage_of(warehouse: Warehouse) -> Location:
    return warehouse.locations.filter(kind=Location.Kind.STORAGE).order_by("pk").first()


@transaction.atomic
def warehouse_create(*, actor, data: dict) -> Warehouse:
    """A warehouse and its main storage location. The valuation mode is chosen here, once."""
    warehouse = Warehouse()
    apply(warehouse, data)
    validate(warehouse)
    warehouse.save()
    Location.objects.create(
        kind=Location.Kind.STORAGE, name=_("%(warehouse)s: stock") % {"warehouse": warehouse.name}, warehouse=warehouse
    )
    record_event("inventory.warehouse_created", warehouse, actor=actor, valuation=warehouse.valuation)
    return warehouse


@transaction.atomic
def warehouse_update(*, actor, warehouse: Warehouse, data: dict) -> Warehouse:
    warehouse = Warehouse.objects.select_for_update().get(pk=warehouse.pk)
    data = {k: v for k, v in data.items() if k != "valuation"}  # fixed at creation
    apply(warehouse, data)
    validate(warehouse)
    warehouse.save()
    record_event("inventory.warehouse_updated", warehouse, actor=actor, fields=sorted(data))
    return warehouse
