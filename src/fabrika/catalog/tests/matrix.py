"""How the permission matrix (access/tests/test_permission_matrix.py) fills the catalog's URL arguments.

`route_args()` maps a route name to `(make, scope_area)`: `make(world, owner)` returns the URL
kwargs of a record (made once per matrix run and kept on the world). Catalog records have no
owner, so the scope area is None and every role sees the same records.
"""

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _records(world) -> dict:
    def make():
        import datetime

        from fabrika.catalog import services

        unit = services.unit_save(actor=None, data={"code": "matrix-cat", "name": "catalog pieces"})
        group = services.group_create(actor=None, data={"name": "Matrix group"})
        characteristic = services.characteristic_save(actor=None, group=group, data={"name": "size"})
        product = services.product_create(
            actor=None,
            data={"code": "MATRIX-CATALOG", "name": "Matrix product", "unit": unit, "group": group},
            photo=SimpleUploadedFile("matrix.png", PNG, content_type="image/png"),
        )
        price_type = services.price_type_save(actor=None, data={"code": "matrix", "name": "Matrix prices"})
        price_list = services.price_list_create(
            actor=None,
            data={"name": "Matrix list", "price_type": price_type, "valid_from": datetime.date(2026, 1, 1)},
        )
        item = services.price_item_save(actor=None, price_list=price_list, product=product, price=Decimal("10"))
        return {
            "unit": unit,
            "group": group,
            "characteristic": characteristic,
            "product": product,
            "price_type": price_type,
            "price_list": price_list,
            "item": item,
        }

    return world._once("catalog-records", make)


def _pk(kind: str):
    return lambda world, owner: {"pk": _records(world)[kind].pk}


def route_args() -> dict[str, tuple]:
    product, unit, group = _pk("product"), _pk("unit"), _pk("group")
    char, price_type, price_list, item = _pk("characteristic"), _pk("price_type"), _pk("price_list"), _pk("item")
    pages = {
        "product-detail": product,
        "product-update": product,
        "product-photo": product,
        "product-archive": product,
        "product-restore": product,
        "unit-update": unit,
        "unit-delete": unit,
        "group-detail": group,
        "group-update": group,
        "group-delete": group,
        "characteristic-create": group,
        "characteristic-update": char,
        "characteristic-delete": char,
        "price-type-update": price_type,
        "price-type-delete": price_type,
        "price-list-detail": price_list,
        "price-list-update": price_list,
        "price-list-delete": price_list,
        "price-item-create": price_list,
        "price-item-update": item,
        "price-item-delete": item,
    }
    api = {
        "product-detail": product,
        "product-stock": product,
        "product-restore": product,
        "unit-detail": unit,
        "product-group-detail": group,
        "price-type-detail": price_type,
        "price-list-detail": price_list,
        "price-list-items": price_list,
        "price-list-item-detail": item,
    }
    return {
        **{f"catalog:{name}": (make, None) for name, make in pages.items()},
        **{f"api:{name}": (make, None) for name, make in api.items()},
    }
