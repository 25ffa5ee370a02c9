from .activities import Activity
from .classifiers import ClassifierKind, ClassifierValue, Tag
from .counterparties import Address, Contact, Counterparty
from .deals import Deal, DealStageChange, FunnelStage
from .segments import Segment

__all__ = [
    "Activity", "Address", "ClassifierKind", "ClassifierValue", "Contact", "Counterparty", "Deal",
    "DealStageChange", "FunnelStage", "Segment", "Tag",
]
