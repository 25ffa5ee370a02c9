from .boms import Bom, BomLine, Operation, ProductionProfile, TechCard, WorkCentre
from .orders import (
    OrderLine,
    OrderOperation,
    ProductionOrder,
    ProductionReport,
    ReportOperation,
)

__all__ = [
    "Bom",
    "BomLine",
    "Operation",
    "OrderLine",
    "OrderOperation",
    "ProductionOrder",
    "ProductionProfile",
    "ProductionReport",
    "ReportOperation",
    "TechCard",
    "WorkCentre",
]
