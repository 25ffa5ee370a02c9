from .base import TimeStampedModel
from .company import CompanySettings
from .numbering import NumberFormat, NumberSequence

__all__ = ["TimeStampedModel", "CompanySettings", "NumberFormat", "NumberSequence"]
