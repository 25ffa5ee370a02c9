"""The only code that changes CRM data. Views, API, import and demo call these functions."""

from .activities import activity_complete, activity_create, activity_delete, activity_update
from .classifiers import (
    classifier_kind_save,
    classifier_value_delete,
    classifier_value_save,
    stage_delete,
    stage_save,
    tag_get_or_create,
)
from .counterparties import (
    contact_create,
    contact_delete,
    contact_update,
    counterparty_create,
    counterparty_delete,
    counterparty_update,
)
from .deals import deal_create, deal_delete, deal_lose, deal_move, deal_update, deal_win
from .segments import segment_create, segment_delete, segment_update

__all__ = [
    "activity_complete", "activity_create", "activity_delete", "activity_update",
    "classifier_kind_save", "classifier_value_delete", "classifier_value_save", "stage_delete", "stage_save",
    "tag_get_or_create",
    "contact_create", "contact_delete", "contact_update",
    "counterparty_create", "counterparty_delete", "counterparty_update",
    "deal_create", "deal_delete", "deal_lose", "deal_move", "deal_update", "deal_win",
    "segment_create", "segment_delete", "segment_update",
]
