from .requests import SupplierRequest, SupplierRequestLine

__all__ = ["SupplierRequest", "SupplierRequestLine"]
