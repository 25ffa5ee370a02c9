from fabrika.core.records import apply, save_m2m, validate

__all__ = ["apply", "save_m2m", "validate"]
