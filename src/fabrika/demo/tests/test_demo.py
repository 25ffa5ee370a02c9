"""`fabrika demo` on an empty database: what it creates, and that a second run writes nothing.

The expected numbers are counted from the story (see demo/loaders/crm_data.py), not computed
from the loader's data structures.
"""

import io
from binascii import unhexlify
from datetime import timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from fabrika.access.models import Department, User
from fabrika.access.policy import restrict
from fabrika.access.services import otp_verify
from fabrika.audit.models import BusinessEvent
from fabrika.core.models import CompanySettings
from fabrika.crm import services as crm_services
from fabrika.crm.models import (
    Activity,
    Address,
    ClassifierValue,
    Contact,
    Counterparty,
    Deal,
    DealStageChange,
    FunnelStage,
    Tag,
)
from fabrika.crm.queries import funnel_report, my_day
from fabrika.demo import loaders
from fabrika.demo.loaders.users import DEMO_TOTP_KEY

pytestmark = pytest.mark.django_db

USERNAMES = [
    "director",
    "sales",
    "sales2",
    "economist",
    "engineer",
    "production",
    "storekeeper",
    "purchaser",
    "support",
    "admin",
]


def run_demo(*args) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="class")
def _demo_loaded(django_db_setup, django_db_blocker):
    """Load the demo once for the tests of a class; rolled back after them.

    Each test still runs in its own savepoint (the `db` fixture), so a test may change data.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield run_demo()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo_output(_demo_loaded, db):
    return _demo_loaded


def every_row() -> dict[str, list[dict]]:
    """All rows of every table (the audit trail and number sequences included)."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


class TestTheDemoCompany:
    """What one run of `fabrika demo` on an empty database creates."""

    # --- company and users --------------------------------------------------------------------------

    def test_company_settings_and_departments(self, demo_output):
        company = CompanySettings.load()
        assert (company.name, company.legal_name, company.currency, company.vat_rate) == (
            "Robo Fabrika",
            "Robo Fabrika LLC",
            "EUR",
            Decimal("20.00"),
        )
        assert company.bank_account and company.bank_code and company.tax_id and "Vienna" in company.address
        assert sorted(Department.objects.values_list("name", flat=True)) == [
            "Engineering",
            "Management",
            "Production",
            "Purchasing",
            "Sales",
            "Support",
            "Warehouse",
        ]
        assert Department.objects.get(name="Sales").head.username == "sales"

    def test_a_user_per_built_in_role(self, demo_output):
        assert User.objects.count() == 10
        users = {u.username: u for u in User.objects.prefetch_related("roles").select_related("department")}
        roles = {name: [r.code for r in u.roles.all()] for name, u in users.items()}
        assert roles == {
            "director": ["director"],
            "sales": ["sales_manager"],
            "sales2": ["sales_manager"],
            "economist": ["economist"],
            "engineer": ["engineer"],
            "production": ["production_manager"],
            "storekeeper": ["storekeeper"],
            "purchaser": ["purchaser"],
            "support": ["support_agent"],
            "admin": ["administrator"],
        }
        assert {name: u.language for name, u in users.items() if u.language != "en"} == {
            "sales2": "fr",
            "storekeeper": "ru",
        }
        assert users["sales"].department.name == users["sales2"].department.name == "Sales"
        assert users["sales"].email == "anna.becker@robofabrika.example"
        assert all(u.first_name and u.last_name and u.email.endswith("@robofabrika.example") for u in users.values())
        assert all(u.check_password("fabrika-demo") for u in users.values())

    def test_the_administrator_has_a_working_demo_authenticator(self, demo_output):
        admin = User.objects.get(username="admin")
        device = TOTPDevice.objects.get(user=admin)
        assert device.confirmed and device.key == DEMO_TOTP_KEY and len(unhexlify(device.key)) == 20
        assert not TOTPDevice.objects.exclude(user=admin).exists()
        # The demo confirmed the device with the current code, so the next time step's code is the first
        # one an authenticator app shows that the device accepts (a code is never accepted twice).
        code = totp(unhexlify(DEMO_TOTP_KEY), step=30, t0=0, digits=6, drift=1)
        assert device.verify_token(code)
        again = totp(unhexlify(DEMO_TOTP_KEY), step=30, t0=0, digits=6, drift=2)
        assert otp_verify(user=admin, code=f"{again:06d}") == device
        assert "5RKRCZXMGUKMFHMQ2NWUU4SDRL6SYVR2" in demo_output  # base32 of the demo key
        assert "otpauth://totp/Fabrika%3Aadmin?secret=5RKRCZXMGUKMFHMQ2NWUU4SDRL6SYVR2" in demo_output

    # --- customers and suppliers ----------------------------------------------------------------

    def test_counterparties(self, demo_output):
        assert Counterparty.objects.count() == 18
        assert Counterparty.objects.filter(is_customer=True).count() == 10
        assert Counterparty.objects.filter(is_supplier=True).count() == 9
        assert list(Counterparty.objects.filter(is_customer=True, is_supplier=True).values_list("name", flat=True)) == [
            "Danube Electronics Distribution"
        ]
        assert list(Counterparty.objects.filter(kind="person").values_list("name", flat=True)) == ["Marie Dubois"]
        by_manager = dict(Counterparty.objects.values_list("responsible__username").annotate(n=Count("id")))
        assert by_manager == {"sales": 10, "sales2": 8}
        assert Contact.objects.count() == 23
        assert Address.objects.count() == 20
        assert ClassifierValue.objects.filter(kind__code="industry").count() == 4
        assert ClassifierValue.objects.filter(kind__code="region").count() == 8
        assert ClassifierValue.objects.filter(kind__code="source").count() == 4
        assert sorted(Tag.objects.values_list("name", flat=True)) == ["Dealer", "Tender", "VIP"]
        suppliers = set(
            Counterparty.objects.filter(is_supplier=True, is_customer=False).values_list("notes", flat=True)
        )
        for part in (
            "cases",
            "controller boards",
            "Processors",
            "servos",
            "sensors",
            "fasteners",
            "Electronics kits",
            "paint",
        ):
            assert any(part in notes for notes in suppliers), part

    def test_robokids_card(self, demo_output):
        robokids = Counterparty.objects.get(name="Robokids School of Robotics")
        assert robokids.tax_id == "ATU63581247"
        assert robokids.bank_account and robokids.bank_code and robokids.bank_name
        assert robokids.responsible.username == "sales"
        assert sorted(robokids.addresses.values_list("kind", flat=True)) == ["delivery", "legal"]
        contacts = {c.position: str(c) for c in robokids.contacts.all()}
        assert contacts == {
            "Director": "Katharina Weber",
            "Purchasing manager": "Stefan Huber",
            "Robotics teacher": "Lena Fischer",
        }
        assert robokids.contacts.get(is_primary=True).position == "Director"
        assert [t.name for t in robokids.tags.all()] == ["VIP"]
        assert sorted(str(v) for v in robokids.classifiers.all()) == [
            "Industry: Education",
            "Industry: Robotics schools",
            "Region: Vienna",
            "Source: Exhibition",
        ]
        assert robokids.deals.count() == 3
        assert robokids.activities.count() == 8 + 9  # and a task for 3 people on each of 3 confirmed orders

    # --- the funnel -------------------------------------------------------------------------------

    def test_deals_at_every_stage(self, demo_output):
        per_stage = dict(Deal.objects.values_list("stage__name").annotate(n=Count("id")))
        assert per_stage == {
            "Lead": 3,
            "Qualified": 3,
            "Proposal sent": 3,
            "Negotiation": 2,
            "Won": 3,
            "Lost": 2,
        }
        assert dict(Deal.objects.values_list("owner__username").annotate(n=Count("id"))) == {
            "sales": 10,
            "sales2": 6,
        }
        assert set(Deal.objects.values_list("currency", flat=True)) == {"EUR"}
        assert Deal.objects.aggregate(total=Sum("amount"))["total"] == Decimal("216415.00")
        assert Deal.objects.get(title="10 standard robots for Robokids").amount == Decimal("14500.00")
        assert Deal.objects.get(title="Construction kits for summer camp").amount == Decimal("11340.00")
        today = timezone.localdate()
        assert not Deal.objects.filter(stage__kind=FunnelStage.Kind.OPEN, expected_close__lte=today).exists()
        assert not Deal.objects.exclude(stage__kind=FunnelStage.Kind.OPEN).filter(expected_close__gte=today).exists()
        lost = Deal.objects.filter(stage__kind=FunnelStage.Kind.LOST)
        assert all(d.lost_reason and d.closed_at for d in lost)
        # Every deal was created in Lead and moved stage by stage:
        # 3×1 + 3×2 + 3×3 + 2×4 + 3×5 (won) + 4 + 3 (lost).
        assert DealStageChange.objects.count() == 48
        robots = Deal.objects.get(title="10 standard robots for Robokids")
        assert [c.to_stage.name for c in robots.stage_changes.order_by("id")] == [
            "Lead",
            "Qualified",
            "Proposal sent",
        ]
        assert robots.contact.last_name == "Huber"

    def test_funnel_conversion(self, demo_output):
        rows = {row.stage.name: row for row in funnel_report(User.objects.get(username="director"))}
        assert {name: row.reached for name, row in rows.items() if row.stage.kind == "open"} == {
            "Lead": 16,
            "Qualified": 13,
            "Proposal sent": 9,
            "Negotiation": 5,
        }
        assert rows["Qualified"].conversion == Decimal("69.2")  # 9 of 13 went on to a proposal
        assert rows["Proposal sent"].conversion == Decimal("55.6")  # 5 of 9
        assert rows["Negotiation"].conversion == Decimal("60.0")  # 3 won of 5
        assert rows["Won"].amount == Decimal("17270.00")

    def test_record_scopes_show_with_two_sales_managers(self, demo_output):
        def visible(username):
            return restrict(User.objects.get(username=username), "view", Counterparty.objects.all()).count()

        assert (visible("sales"), visible("sales2"), visible("director")) == (10, 8, 18)

    # --- activities -------------------------------------------------------------------------------

    def test_activities_and_tasks(self, demo_output):
        kinds = dict(Activity.objects.values_list("kind").annotate(n=Count("id")))
        # 14 tasks of the CRM story, 21 from 7 confirmed sales orders (production, engineer, economist)
        assert kinds == {"call": 6, "meeting": 4, "email": 5, "note": 3, "task": 14 + 21}
        now = timezone.now()
        assert not Activity.objects.exclude(kind="task").filter(occurred_at__gt=now).exists()
        for username, (overdue, today, upcoming, done) in {
            "sales": (2, 2, 2, 2),
            "sales2": (1, 1, 2, 2),
        }.items():
            user = User.objects.get(username=username)
            day = my_day(user, now=now)
            assert (len(day["overdue"]), len(day["today"]), len(day["upcoming"])) == (
                overdue,
                today,
                upcoming,
            )
            assert Activity.objects.filter(owner=user, kind="task", done=True, due_at__lt=now).count() == done
        assert Activity.objects.filter(deal__isnull=False).count() == 30

    def test_demo_users_sign_in_and_see_their_own_customers(self, demo_output, client):
        response = client.post("/access/login/", {"username": "sales2", "password": "fabrika-demo"})
        assert response.status_code == 302
        listed = client.get("/api/counterparties/", {"limit": 100}).json()
        assert listed["count"] == 8
        assert "Collège Saint-Exupéry" in {row["name"] for row in listed["results"]}

    def test_the_administrator_signs_in_with_the_demo_authenticator(self, demo_output, client):
        client.post("/access/login/", {"username": "admin", "password": "fabrika-demo"})
        assert client.get("/api/counterparties/").status_code == 403  # second factor required
        code = totp(unhexlify(DEMO_TOTP_KEY), step=30, t0=0, digits=6, drift=1)
        response = client.post("/access/otp/", {"code": f"{code:06d}", "next": "/api/counterparties/"})
        assert response.status_code == 302
        assert client.get("/api/counterparties/").json()["count"] == 18

    # --- running again, output, transactions and audit --------------------------------------------

    def test_second_run_writes_nothing(self, demo_output):
        before = every_row()
        assert before["audit.BusinessEvent"] and before["auditlog.LogEntry"]
        second = run_demo()
        assert every_row() == before
        assert "nothing to do" in second and "sales2" in second and "fabrika-demo" in second

    def test_logins_table(self, demo_output):
        lines = demo_output.splitlines()
        header = next(i for i, line in enumerate(lines) if line.startswith("Username"))
        table = [line.split()[0] for line in lines[header + 2 : header + 12]]
        assert table == USERNAMES
        assert "storekeeper  Storekeeper         fabrika-demo  Olga Ivanova   ru" in demo_output

    def test_one_request_id_and_the_sales_managers_as_actors(self, demo_output):
        request_ids = set(BusinessEvent.objects.values_list("request_id", flat=True))
        assert len(request_ids) == 1 and request_ids.pop().startswith("cmd-demo-")
        assert set(LogEntry.objects.values_list("cid", flat=True)) == set(
            BusinessEvent.objects.values_list("request_id", flat=True)
        )
        created = BusinessEvent.objects.filter(event="crm.deal_created")
        assert created.count() == 16
        assert all(e.actor.username == Deal.objects.get(pk=e.object_id).owner.username for e in created)
        robots = LogEntry.objects.get_for_object(Deal.objects.get(title="10 standard robots for Robokids"))
        assert {e.actor.username for e in robots} == {"sales"}


def test_quiet_prints_only_the_logins(db):
    assert not User.objects.exists()  # the class above rolled its demo back
    out = run_demo("--quiet")
    assert "Loading" not in out and "nothing to do" not in out and "counterparties" not in out
    assert "Demo logins" in out and "admin" in out
    assert run_demo("--quiet", "--verbosity", "0") == ""
    assert Counterparty.objects.count() == 18


def test_existing_rows_are_kept_and_not_duplicated(db):
    CompanySettings.objects.update_or_create(pk=1, defaults={"name": "Our own plant"})
    existing = crm_services.counterparty_create(
        actor=None, data={"name": "Robokids School of Robotics", "notes": "Ours"}
    )
    run_demo()
    assert CompanySettings.load().name == "Our own plant"
    assert Counterparty.objects.filter(name="Robokids School of Robotics").count() == 1
    existing.refresh_from_db()
    assert existing.notes == "Ours" and existing.tax_id == ""
    assert existing.contacts.count() == 3  # the demo adds its missing contacts to the existing card
    assert Counterparty.objects.count() == 18


def test_a_failing_step_rolls_back_alone(db):
    def boom(ctx):
        crm_services.tag_get_or_create(actor=None, name="Half-done")
        raise RuntimeError("step failed")

    steps = [loaders.STEPS[0], loaders.Step("boom", "Failing step", boom)]
    with pytest.raises(RuntimeError):
        loaders.run(steps=steps)
    assert Department.objects.count() == 7  # the first step's transaction was committed
    assert not Tag.objects.filter(name="Half-done").exists()
    assert not BusinessEvent.objects.filter(event="crm.tag_created").exists()


def test_dates_follow_the_day_of_the_run(db):
    now = timezone.now() - timedelta(days=100)
    loaders.run(now=now)
    deal = Deal.objects.get(title="10 standard robots for Robokids")
    assert deal.expected_close == timezone.localdate(now) + timedelta(days=14)
    task = Activity.objects.get(subject="Demo of the sorting robot prototype")
    assert timezone.localtime(task.due_at).date() == timezone.localdate(now) + timedelta(days=2)
