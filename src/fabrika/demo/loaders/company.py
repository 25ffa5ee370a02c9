"""Step "company": the company's settings and its departments."""

from decimal import Decimal

from fabrika.access.models import Department
from fabrika.access.services import department_create
from fabrika.core.models import CompanySettings
from fabrika.core.services import company_settings_update

COMPANY = {
    "name": "Robo Fabrika",
    "legal_name": "Robo Fabrika LLC",
    "tax_id": "ATU74218536",
    "registration_number": "FN 512874 k",
    "address": "Industriestraße 12\n1220 Vienna\nAustria",
    "phone": "+43 1 2345 6700",
    "email": "office@robofabrika.example",
    "website": "https://robofabrika.example",
    "bank_name": "Danube Savings Bank AG",
    "bank_account": "AT61 1904 3002 3457 3201",
    "bank_code": "DSBKATWWXXX",
    "currency": "EUR",
    "vat_rate": Decimal("20.00"),
}

DEPARTMENTS = ["Management", "Sales", "Engineering", "Production", "Warehouse", "Purchasing", "Support"]


def load(ctx) -> None:
    _company_settings(ctx)
    existing = set(Department.objects.filter(name__in=DEPARTMENTS).values_list("name", flat=True))
    for name in DEPARTMENTS:
        if name not in existing:
            department_create(name=name)
            ctx.count("departments")


def _company_settings(ctx) -> None:
    company = CompanySettings.load()
    if company.name != CompanySettings._meta.get_field("name").default:
        return  # the company is already set up (by an earlier run, or by its owner): keep it
    company_settings_update(**COMPANY)
    ctx.count("company settings")
