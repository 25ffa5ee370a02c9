from .documents import StockDocument, StockDocumentLine
from .ledger import Balance, CostLayer, LayerConsumption, Lot, StockMove, ValueGroup
from .periods import BalanceSnapshot, Period, Recosting, RecostingChange
from .reservations import Reservation
from .warehouses import Location, Warehouse

__all__ = [
    "Balance",
    "BalanceSnapshot",
    "CostLayer",
    "LayerConsumption",
    "Location",
    "Lot",
    "Period",
    "Recosting",
    "RecostingChange",
    "Reservation",
    "StockDocument",
    "StockDocumentLine",
    "StockMove",
    "ValueGroup",
    "Warehouse",
]
