"""Print templates run in a sandbox: no way from the data to Python internals, settings, the ORM or files."""

import pytest

from fabrika.core.errors import ValidationFailed
from fabrika.documents.models import PrintTemplate
from fabrika.documents.printing import sandbox, services
from fabrika.documents.printing.sandbox import PrintTemplateError, render

pytestmark = pytest.mark.django_db

LAYOUT = '{% extends "fabrika/layout.html" %}'


def refused_on_save(body: str) -> str:
    """Saving `body` is refused: the message shown beside the body field. Nothing is saved."""
    with pytest.raises(ValidationFailed) as caught:
        services.print_template_save(actor=None, code="inventory.receipt", body=body)
    assert list(caught.value.errors) == ["body"]
    assert not PrintTemplate.objects.exists()
    return caught.value.errors["body"][0]


@pytest.mark.parametrize(
    "body",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ doc.__class__ }}",
        "{{ lines['__class__'] }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ self._TemplateReference__context }}",
    ],
)
def test_underscore_names_are_refused_with_the_line(body):
    message = refused_on_save("<p>Hello</p>\n" + body)
    assert message.startswith("Line 2:")
    assert "underscore" in message


@pytest.mark.parametrize(
    "body",
    [
        "{{ ''|attr('__class__') }}",
        "{{ (''|attr('__cla' ~ 'ss__'))|attr('__mro__') }}",
        "{{ lines.append(1) }}",
        "{{ doc.update({'number': 1}) }}",
        "{{ labels.clear() }}",
    ],
)
def test_sandbox_refuses_at_run_time(body):
    message = refused_on_save(body)
    assert message.startswith("Line 1: Not allowed:"), message


@pytest.mark.parametrize("name", ["settings", "config", "request", "django", "os", "objects", "StockDocument"])
def test_settings_and_the_orm_are_out_of_reach(name):
    message = refused_on_save(f"{{{{ {name} }}}}")  # strict check: an unknown name is an error
    assert f"'{name}' is undefined" in message
    # Printing is lenient — an unknown name prints as nothing, and certainly not the settings.
    assert render(f"[{{{{ {name}.SECRET_KEY }}}}]", {}) == "[]"


@pytest.mark.parametrize(
    "body",
    [
        '{% include "web/base.html" %}',
        '{% extends "/etc/passwd" %}',
        '{% import "documents/print_template_form.html" as x %}',
        "{% include doc.number %}",
        '{% include ["fabrika/layout.html", "../settings.py"] %}',
    ],
)
def test_only_the_built_in_parts_can_be_included(body):
    assert "only the built-in parts" in refused_on_save(body)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{{ 'x' * 10000000 }}", "too long"),
        ("{{ [1] * 5000000 }}", "too long"),
        ("{% for i in range(1000000) %}{% endfor %}", "too large"),
        ("{% for i in range(90000) %}{% for j in range(90000) %}{% endfor %}{% endfor %}", "steps"),
        ("{{ '%999999999d' % 1 }}", "width"),
        ("{{ '{:>999999999}'.format(1) }}", "width"),
        ("{{ ''.ljust(1000000000) }}", "too large"),
        ("{{ 10 ** 100000 }}", "exponent"),
        ("{% for i in range(60000) %}{{ 'y' * 100 }}{% endfor %}", "larger than 5 MB"),
    ],
)
def test_work_and_size_are_bounded(body, words):
    assert words in refused_on_save(body)


def test_a_large_template_is_refused():
    assert "larger than 200 KB" in refused_on_save("<p>" + "x" * (200 * 1024) + "</p>")


def test_filters_that_pad_text_are_not_there():
    for name in ("center", "indent", "wordwrap", "format"):
        assert f"No filter named '{name}'" in refused_on_save(f"{{{{ 'a'|{name}(10) }}}}")
    assert "'lipsum' is undefined" in refused_on_save("{{ lipsum(1000) }}")


def test_syntax_errors_give_the_line():
    message = refused_on_save(LAYOUT + "\n{% block lines %}\n{% for line in lines %}\n{% endblock %}")
    assert message.startswith("Line 4:")


def test_unknown_variables_are_shown_on_save():
    message = refused_on_save(LAYOUT + "\n{% block lines %}{{ doc.numbr }}{% endblock %}")
    assert "numbr" in message


def test_autoescape_and_plain_data():
    html = render("<p>{{ name }}</p>{{ safe|safe }}", {"name": "<script>alert(1)</script>", "safe": "<b>ok</b>"})
    assert html == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p><b>ok</b>"


def test_a_good_template_is_saved():
    body = LAYOUT + "\n{% block lines %}<p>{{ lines|length }} × {{ totals.qty|qty }}</p>{% endblock %}"
    template = services.print_template_save(actor=None, code="inventory.receipt", language="fr", body=body)
    assert (template.code, template.language, template.body) == ("inventory.receipt", "fr", body)


def test_filters_format_in_the_document_language():
    from decimal import Decimal as D

    from django.utils import translation

    source = "{{ a|money }}|{{ a|money(false) }}|{{ q|qty }}|{{ w|qty }}|{{ n|number(3) }}|{{ none|money }}"
    context = {"a": D("1234.5"), "q": D("5.000000"), "w": D("1234.500"), "n": D("2"), "none": None, "currency": "EUR"}
    with translation.override("en"):
        assert render(source, context) == "1,234.50\u00a0EUR|1,234.50|5|1,234.5|2.000|"
    with translation.override("fr"):
        assert render(source, context) == "1\u00a0234,50\u00a0EUR|1\u00a0234,50|5|1\u00a0234,5|2,000|"


def test_budget_is_per_render():
    """Steps are counted per rendering: many ordinary renders in a row are all fine."""
    for _ in range(3):
        assert render("{% for i in range(50000) %}{% endfor %}ok", {}) == "ok"
    assert sandbox._budget.get() is None


def test_error_type():
    with pytest.raises(PrintTemplateError) as caught:
        render("{{ 1 / 0 }}", {})
    assert "ZeroDivisionError" in caught.value.message
