from django.db import transaction
from django.db.models.signals import post_delete, post_save
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


class Places:
    """Every location and warehouse (with a location) by id, read once and kept: posting needs them on every call.

    What posting reads of them never changes after creation (a location's kind and warehouse, a
    warehouse's valuation — fixed at creation), so an id the cache does not know just reloads it
    (a place another process created). Saving or deleting a Location or Warehouse clears the cache,
    and until that transaction commits the cache is not trusted (each call reads the table), so
    rows of a transaction that rolls back never linger in it. Names may be stale: errors that show
    a warehouse's name read it afresh.
    """

    def __init__(self):
        self._locations: dict[int, Location] | None = None
        self._warehouses: dict[int, Warehouse] | None = None
        self._pending = False

    def clear(self, **_kwargs) -> None:
        self._locations = self._warehouses = None

    def changed(self, **_kwargs) -> None:
        self._pending = True
        self.clear()
        transaction.on_commit(self._committed)

    def _committed(self) -> None:
        self._pending = False
        self.clear()

    def _load(self) -> tuple[dict, dict]:
        locations = {loc.pk: loc for loc in Location.objects.select_related("warehouse")}
        warehouses = {loc.warehouse_id: loc.warehouse for loc in locations.values() if loc.warehouse_id is not None}
        if not self._pending:
            self._locations, self._warehouses = locations, warehouses
        return locations, warehouses

    def get(self, location_ids=(), warehouse_ids=()) -> tuple[dict[int, Location], dict[int, Warehouse]]:
        """(locations, warehouses) by id, sure to hold the ids asked for when they exist."""
        locations, warehouses = self._locations, self._warehouses
        if (
            locations is None
            or warehouses is None
            or any(pk not in locations for pk in location_ids)
            or any(pk not in warehouses for pk in warehouse_ids)
        ):
            locations, warehouses = self._load()
        return locations, warehouses


places = Places()
for _model in (Location, Warehouse):
    post_save.connect(places.changed, sender=_model, dispatch_uid=f"inventory.places.save.{_model.__name__}")
    post_delete.connect(places.changed, sender=_model, dispatch_uid=f"inventory.places.delete.{_model.__name__}")


def virtual_location(kind: str) -> Location:
    """The one location of a virtual kind (supplier, customer, production, scrap, adjustment, transit)."""
    location = next((loc for loc in places.get()[0].values() if loc.kind == kind), None)
    if location is None:
        location, _created = Location.objects.get_or_create(kind=kind, defaults={"name": VIRTUAL_NAMES[kind]})
    return location


def storage_of(warehouse: Warehouse) -> Location:
    """The warehouse's main storage location (its first)."""
    locations, _warehouses = places.get(warehouse_ids=[warehouse.pk])
    found = [loc for loc in locations.values() if loc.warehouse_id == warehouse.pk and loc.is_storage]
    if not found:
        locations, _warehouses = places._load()  # created since, by another process
        found = [loc for loc in locations.values() if loc.warehouse_id == warehouse.pk and loc.is_storage]
    return min(found, key=lambda loc: loc.pk, default=None)


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
