"""Deals: numbering, moves through the funnel, closing, and the funnel report."""

from decimal import Decimal

import pytest
from django.utils import timezone

from fabrika.audit.models import BusinessEvent
from fabrika.core.errors import ValidationFailed
from fabrika.core.services import company_settings_update
from fabrika.crm import services
from fabrika.crm.models import Deal, DealStageChange, FunnelStage
from fabrika.crm.queries import funnel_report

from .conftest import row_counts

pytestmark = pytest.mark.django_db


def stage(name: str) -> FunnelStage:
    """The default funnel: Lead 1/10 %, Qualified 2/25 %, Proposal sent 3/50 %, Negotiation 4/75 %,
    Won 90/100 %, Lost 99/0 %."""
    return FunnelStage.objects.get(name=name)


@pytest.fixture
def acme(manager):
    return services.counterparty_create(actor=manager, data={"name": "Acme"})


def new_deal(actor, counterparty, **data):
    return services.deal_create(actor=actor, data={"title": "Robots", "counterparty": counterparty, **data})


def history(deal):
    return [
        (c.from_stage.name if c.from_stage else None, c.to_stage.name)
        for c in DealStageChange.objects.filter(deal=deal).order_by("id")
    ]


def test_numbers_follow_each_other_per_year_and_a_refused_deal_takes_none(manager, acme):
    year = timezone.localdate().year
    first = new_deal(manager, acme)

    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        new_deal(manager, acme, amount=Decimal("-1.00"))
    assert list(refused.value.errors) == ["amount"]
    assert row_counts() == before

    second = new_deal(manager, acme)
    assert (first.number, second.number) == (f"DEAL-{year}-00001", f"DEAL-{year}-00002")


def test_a_new_deal_starts_at_the_first_open_stage_for_its_creator(manager, acme):
    deal = new_deal(manager, acme, amount=Decimal("1500.00"))
    deal.refresh_from_db()
    assert (deal.stage.name, deal.owner, deal.reached_order, deal.closed_at) == ("Lead", manager, 1, None)
    assert history(deal) == [(None, "Lead")]
    assert deal.weighted_amount == Decimal("150.00")
    assert BusinessEvent.objects.get(event="crm.deal_created").data == {"stage": "Lead", "amount": "1500.00"}


def test_currency_defaults_to_the_company_currency(manager, acme):
    company_settings_update(currency="CHF")
    assert new_deal(manager, acme).currency == "CHF"
    assert new_deal(manager, acme, currency="USD").currency == "USD"


def test_the_contact_must_belong_to_the_counterparty(manager, acme):
    beta = services.counterparty_create(actor=manager, data={"name": "Beta"})
    boris = services.contact_create(actor=manager, counterparty=beta, data={"first_name": "Boris"})
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        new_deal(manager, acme, contact=boris)
    assert list(refused.value.errors) == ["contact"]
    assert row_counts() == before


def test_move_records_each_change_and_the_furthest_stage(manager, director, acme):
    deal = new_deal(manager, acme)

    services.deal_move(actor=manager, deal=deal, stage=stage("Proposal sent"))
    services.deal_move(actor=director, deal=deal, stage=stage("Qualified"))

    deal.refresh_from_db()
    assert deal.stage.name == "Qualified"
    assert deal.reached_order == 3  # went back, but reached "Proposal sent"
    assert history(deal) == [(None, "Lead"), ("Lead", "Proposal sent"), ("Proposal sent", "Qualified")]
    assert list(DealStageChange.objects.filter(deal=deal).order_by("id").values_list("by", flat=True)) == [
        manager.pk,
        manager.pk,
        director.pk,
    ]
    moved = BusinessEvent.objects.filter(event="crm.deal_moved").order_by("id").last()
    assert (moved.data["from_stage"], moved.data["to_stage"]) == ("Proposal sent", "Qualified")


def test_moving_to_the_same_stage_records_nothing(manager, acme):
    deal = new_deal(manager, acme)
    before = row_counts()
    services.deal_move(actor=manager, deal=deal, stage=stage("Lead"))
    assert row_counts() == before


@pytest.mark.parametrize("reason", ["", "   "])
def test_losing_needs_a_reason_and_nothing_changes_without_one(manager, acme, reason):
    deal = new_deal(manager, acme)
    before = row_counts()

    with pytest.raises(ValidationFailed) as refused:
        services.deal_lose(actor=manager, deal=deal, reason=reason)
    assert refused.value.errors == {"lost_reason": ["Say why the deal was lost."]}
    with pytest.raises(ValidationFailed):
        services.deal_move(actor=manager, deal=deal, stage=stage("Lost"))

    assert row_counts() == before
    deal.refresh_from_db()
    assert (deal.stage.name, deal.closed_at) == ("Lead", None)


def test_lose_with_a_reason_closes_the_deal(manager, acme):
    deal = new_deal(manager, acme)
    services.deal_lose(actor=manager, deal=deal, reason="  Too expensive ")
    deal.refresh_from_db()
    assert (deal.stage.name, deal.lost_reason, deal.is_closed) == ("Lost", "Too expensive", True)
    assert deal.closed_at is not None
    assert BusinessEvent.objects.get(event="crm.deal_lost").data["lost_reason"] == "Too expensive"

    services.deal_move(actor=manager, deal=deal, stage=stage("Negotiation"))  # reopened
    deal.refresh_from_db()
    assert (deal.lost_reason, deal.closed_at, deal.reached_order) == ("", None, 4)


def test_a_deal_created_as_lost_needs_a_reason(manager, acme):
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        new_deal(manager, acme, stage=stage("Lost"))
    assert list(refused.value.errors) == ["lost_reason"]
    assert row_counts() == before


def test_winning_counts_as_having_reached_every_open_stage(manager, acme):
    deal = new_deal(manager, acme)
    services.deal_win(actor=manager, deal=deal)
    deal.refresh_from_db()
    assert (deal.stage.name, deal.reached_order) == ("Won", 4)
    assert deal.closed_at is not None
    assert history(deal) == [(None, "Lead"), ("Lead", "Won")]
    assert BusinessEvent.objects.filter(event="crm.deal_won").count() == 1


def test_update_never_changes_the_stage_or_number(manager, acme):
    deal = new_deal(manager, acme)
    number = deal.number
    services.deal_update(
        actor=manager,
        deal=deal,
        data={"title": "Robots x10", "stage": stage("Won"), "number": "HACK", "amount": Decimal("9.99")},
    )
    deal.refresh_from_db()
    assert (deal.title, deal.stage.name, deal.number, deal.amount) == (
        "Robots x10",
        "Lead",
        number,
        Decimal("9.99"),
    )
    assert history(deal) == [(None, "Lead")]


def test_delete(manager, acme):
    deal = new_deal(manager, acme)
    services.deal_delete(actor=manager, deal=deal)
    assert not Deal.objects.exists()
    assert not DealStageChange.objects.exists()


# --- funnel report ---------------------------------------------------------------------------


def test_funnel_report_exact_numbers(manager, other_manager, director, acme):
    """Six deals worked out by hand:

    | deal | path                      | amount  | reached order |
    | D1   | Lead                      | 1000.00 | 1             |
    | D2   | Lead → Qualified          | 1234.56 | 2             |
    | D3   | Lead → Qualified → Prop.  | 3000.10 | 3             |
    | D4   | Lead → Qualified → Won    | 4000.00 | 4 (won)       |
    | D5   | Lead → Lost               |  500.00 | 1             |
    | D6   | created in Negotiation    |  600.00 | 4             |

    Reached: Lead 6, Qualified 4 (D2 D3 D4 D6), Proposal 3 (D3 D4 D6), Negotiation 2 (D4 D6).
    Conversion: Lead 4/6 = 66.7 %, Qualified 3/4 = 75.0 %, Proposal 2/3 = 66.7 %,
    Negotiation → won 1/2 = 50.0 %.
    """
    d1 = new_deal(manager, acme, amount=Decimal("1000.00"))
    d2 = new_deal(manager, acme, amount=Decimal("1234.56"))
    services.deal_move(actor=manager, deal=d2, stage=stage("Qualified"))
    d3 = new_deal(manager, acme, amount=Decimal("3000.10"))
    services.deal_move(actor=manager, deal=d3, stage=stage("Qualified"))
    services.deal_move(actor=manager, deal=d3, stage=stage("Proposal sent"))
    d4 = new_deal(manager, acme, amount=Decimal("4000.00"))
    services.deal_move(actor=manager, deal=d4, stage=stage("Qualified"))
    services.deal_win(actor=manager, deal=d4)
    d5 = new_deal(manager, acme, amount=Decimal("500.00"))
    services.deal_lose(actor=manager, deal=d5, reason="No budget")
    new_deal(manager, acme, amount=Decimal("600.00"), stage=stage("Negotiation"))
    assert d1.pk  # D1 stays in Lead

    rows = funnel_report(director)

    table = [(r.stage.name, r.count, r.amount, r.weighted, r.reached, r.conversion) for r in rows]
    assert table == [
        ("Lead", 1, Decimal("1000.00"), Decimal("100.00"), 6, Decimal("66.7")),
        ("Qualified", 1, Decimal("1234.56"), Decimal("308.64"), 4, Decimal("75.0")),
        ("Proposal sent", 1, Decimal("3000.10"), Decimal("1500.05"), 3, Decimal("66.7")),
        ("Negotiation", 1, Decimal("600.00"), Decimal("450.00"), 2, Decimal("50.0")),
        ("Won", 1, Decimal("4000.00"), Decimal("4000.00"), 0, None),
        ("Lost", 1, Decimal("500.00"), Decimal("0.00"), 0, None),
    ]

    # A sales manager (scope: own) sees only their own deals; another one sees an empty funnel.
    assert [r.count for r in funnel_report(manager)] == [1, 1, 1, 1, 1, 1]
    other = funnel_report(other_manager)
    assert [(r.count, r.amount, r.reached, r.conversion) for r in other] == [(0, Decimal("0.00"), 0, None)] * 6
