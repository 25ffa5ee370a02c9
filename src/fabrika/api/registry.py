"""Importing this module registers every app's viewsets on the router."""

from fabrika.access import api as access_api  # noqa: F401
from fabrika.catalog import api as catalog_api  # noqa: F401
from fabrika.crm import api as crm_api  # noqa: F401
from fabrika.documents import api as documents_api  # noqa: F401
from fabrika.inventory import api as inventory_api  # noqa: F401
from fabrika.production import api as production_api  # noqa: F401
from fabrika.purchasing import api as purchasing_api  # noqa: F401
from fabrika.sales import api as sales_api  # noqa: F401
