from .prices import PriceList, PriceListItem, PriceType
from .products import GroupCharacteristic, Product, ProductGroup
from .units import Unit, UnitConversion

__all__ = [
    "GroupCharacteristic",
    "PriceList",
    "PriceListItem",
    "PriceType",
    "Product",
    "ProductGroup",
    "Unit",
    "UnitConversion",
]
