"""Import of counterparties from XLSX and CSV: column names, per-row errors, all-or-nothing creation."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from fabrika.access.tests.factories import make_user
from fabrika.audit.models import BusinessEvent
from fabrika.crm import services
from fabrika.crm.imports import (
    ImportRowFailed,
    Sheet,
    build_preview,
    import_counterparties,
    map_columns,
    read_csv,
)
from fabrika.crm.models import Counterparty, Tag
from fabrika.crm.views.imports import SESSION_KEY

from .conftest import row_counts

pytestmark = pytest.mark.django_db

UPLOAD = reverse("crm:counterparty-import")
PREVIEW = reverse("crm:counterparty-import-preview")
CONFIRM = reverse("crm:counterparty-import-confirm")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FRENCH_HEADERS = [
    "Nom",
    "Type",
    "Client",
    "Fournisseur",
    "SIRET",
    "Téléphone",
    "Courriel",
    "Adresse",
    "Adresse de livraison",
    "Responsable",
    "Étiquettes",
    "Industrie",
    "Colonne inconnue",
]
FRENCH_ROWS = [
    # line 2: valid
    [
        "Lycée Voltaire",
        "entreprise",
        "oui",
        "non",
        11111111100011,
        "04 72 00 00 01",
        "contact@voltaire.test",
        "2 place Voltaire, Lyon",
        "Quai 3",
        "anna",
        "Écoles, VIP",
        "Éducation",
        "x",
    ],
    # line 3: no name, bad e-mail
    ["", "", "", "", "", "", "pas-un-email", "", "", "", "", "", ""],
    # line 4: tax id already in the database
    ["Boulangerie Martin", "particulier", "oui", "oui", 22222222200022, "", "", "", "", "", "", "", ""],
    # line 5: unknown user
    ["Atelier Bois", "", "", "", 33333333300033, "", "", "", "", "Nobody Here", "", "", ""],
    # line 6: the same tax id as line 5
    ["Atelier Bois bis", "", "", "", 33333333300033, "", "", "", "", "", "", "", ""],
    # line 7: unknown classifier value, unknown kind, not a yes/no
    ["Robots SA", "coopérative", "peut-être", "", "", "", "", "", "", "", "", "Spatial", ""],
    # line 8: valid, the responsible by full name, a supplier
    ["Menuiserie Dupont", "", "non", "oui", "", "", "", "", "", "Anna Petit", "", "éducation, Commerce", ""],
]


@pytest.fixture
def dora(db):
    return make_user("dora", "director", first_name="Dora", last_name="Durand")


@pytest.fixture
def anna(db):
    return make_user("anna", "sales_manager", first_name="Anna", last_name="Petit", email="anna@x.test")


@pytest.fixture
def setup(dora, anna):
    industry = services.classifier_kind_save(actor=dora, data={"code": "industry", "name": "Industrie"})
    education = services.classifier_value_save(actor=dora, data={"kind": industry, "name": "Éducation"})
    commerce = services.classifier_value_save(actor=dora, data={"kind": industry, "name": "Commerce"})
    services.tag_get_or_create(actor=dora, name="VIP")
    existing = services.counterparty_create(
        actor=dora, data={"name": "Boulangerie existante", "tax_id": "22222222200022"}
    )
    return {"education": education, "commerce": commerce, "existing": existing}


def xlsx_file(headers, rows, name="tiers.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    sheet.append([])  # a blank line at the end is skipped
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=XLSX)


def csv_file(headers, rows, *, delimiter=";", name="tiers.csv"):
    lines = [delimiter.join(headers)] + [delimiter.join(str(v) for v in row) for row in rows]
    return SimpleUploadedFile(name, ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"), content_type="text/csv")


def errors_by_line(preview) -> dict[int, dict[str, list[str]]]:
    return {row.line: row.errors for row in preview.rows if row.errors}


EXPECTED_ERRORS = {
    3: {"name": ["The name is missing."], "email": ["Enter a valid email address."]},
    4: {"tax_id": ["Tax id 22222222200022 is already used by Boulangerie existante."]},
    5: {"responsible": ["Unknown user “Nobody Here”."]},
    6: {"tax_id": ["Tax id 33333333300033 is repeated in the file (see row 5)."]},
    7: {
        "kind": ["Unknown kind “coopérative”: use company or person."],
        "is_customer": ["“peut-être” is neither yes nor no."],
        "classifier:%d": ["Unknown value “Spatial” of Industrie."],
    },
}


def expected_errors(setup):
    kind_id = setup["education"].kind_id
    result = {}
    for line, errors in EXPECTED_ERRORS.items():
        result[line] = {(k % kind_id if "%d" in k else k): v for k, v in errors.items()}
    return result


def assert_the_two_valid_rows_were_created(anna, dora, setup):
    voltaire = Counterparty.objects.get(name="Lycée Voltaire")
    assert (voltaire.kind, voltaire.is_customer, voltaire.is_supplier) == ("company", True, False)
    assert (voltaire.tax_id, voltaire.phone, voltaire.email) == (
        "11111111100011",
        "04 72 00 00 01",
        "contact@voltaire.test",
    )
    assert voltaire.responsible == anna
    assert voltaire.created_by == dora
    assert list(voltaire.addresses.order_by("id").values_list("kind", "text")) == [
        ("legal", "2 place Voltaire, Lyon"),
        ("delivery", "Quai 3"),
    ]
    assert sorted(t.name for t in voltaire.tags.all()) == ["VIP", "Écoles"]
    assert list(voltaire.classifiers.all()) == [setup["education"]]
    dupont = Counterparty.objects.get(name="Menuiserie Dupont")
    assert (dupont.is_customer, dupont.is_supplier, dupont.responsible) == (False, True, anna)
    assert sorted(v.name for v in dupont.classifiers.all()) == ["Commerce", "Éducation"]
    assert set(Counterparty.objects.values_list("name", flat=True)) == {
        "Boulangerie existante",
        "Lycée Voltaire",
        "Menuiserie Dupont",
    }


# --- columns and parsing ----------------------------------------------------------------------


def test_column_names_in_english_french_and_russian(setup):
    kind_id = setup["education"].kind_id
    mapping = map_columns(
        [
            "Name",
            "tax id",
            "E-mail",
            "phone",
            "наименование",
            "ИНН",
            "Почта",
            "Телефон",
            "website",
            "kind",
            "customer",
            "supplier",
            "address",
            "responsible",
            "tags",
            "INDUSTRY",
            "Whatever",
        ]
    )
    assert mapping.keys == [
        "name",
        "tax_id",
        "email",
        "phone",
        None,
        None,
        None,
        None,
        "website",
        "kind",
        "is_customer",
        "is_supplier",
        "address",
        "responsible",
        "tags",
        f"classifier:{kind_id}",
        None,
    ]
    assert mapping.ignored == ["наименование", "ИНН", "Почта", "Телефон", "Whatever"]  # repeats are ignored
    mapping = map_columns(
        [
            "наименование",
            "инн",
            "почта",
            "телефон",
            "сайт",
            "тип",
            "клиент",
            "поставщик",
            "адрес",
            "ответственный",
            "теги",
            "Industrie",
        ]
    )
    assert mapping.keys == [
        "name",
        "tax_id",
        "email",
        "phone",
        "website",
        "kind",
        "is_customer",
        "is_supplier",
        "address",
        "responsible",
        "tags",
        f"classifier:{kind_id}",
    ]
    mapping = map_columns(["nom", "siret", "e-mail", "téléphone", "telephone"])
    assert mapping.keys == ["name", "tax_id", "email", "phone", None]


def test_csv_delimiter_and_bom():
    comma = read_csv('\ufeffname,email\r\n"Acme, Inc",a@b.test\r\n'.encode())
    assert (comma.headers, comma.rows) == (["name", "email"], [(2, ["Acme, Inc", "a@b.test"])])
    semicolon = read_csv(b"nom;courriel\n\nDupont, fils;d@f.test\n")
    assert (semicolon.headers, semicolon.rows) == (["nom", "courriel"], [(3, ["Dupont, fils", "d@f.test"])])


def test_preview_of_an_xlsx_with_french_headers(setup, anna):
    from fabrika.crm.imports import read_xlsx

    sheet = read_xlsx(xlsx_file(FRENCH_HEADERS, FRENCH_ROWS))
    preview = build_preview(sheet)
    assert [row.line for row in preview.rows] == [2, 3, 4, 5, 6, 7, 8]
    assert errors_by_line(preview) == expected_errors(setup)
    assert [row.line for row in preview.valid_rows] == [2, 8]
    assert preview.ignored == ["Colonne inconnue"]
    voltaire = preview.rows[0]
    assert voltaire.shown["tax_id"] == "11111111100011"  # a number cell read as text, without ".0"
    assert voltaire.shown["responsible"] == "Anna Petit"
    assert voltaire.tags == ["Écoles", "VIP"]


# --- pages ------------------------------------------------------------------------------------


def test_xlsx_upload_preview_and_confirm_create_exactly_the_valid_rows(client, dora, anna, setup):
    client.force_login(dora)
    response = client.post(UPLOAD, {"file": xlsx_file(FRENCH_HEADERS, FRENCH_ROWS)})
    assert response.status_code == 302 and response.url == PREVIEW
    stored = client.session[SESSION_KEY]
    assert stored["filename"] == "tiers.xlsx" and len(stored["rows"]) == 7  # the rows, not the file
    assert "tiers.xlsx: 7 rows wait to be imported." in client.get(UPLOAD).content.decode()

    page = client.get(PREVIEW)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Import 2 valid rows" in html
    assert "The name is missing." in html and "Unknown user “Nobody Here”." in html
    assert 'data-line="3" data-valid="0"' in html and 'data-line="2" data-valid="1"' in html
    only_errors = client.get(PREVIEW, {"only": "errors"})
    assert [row.line for row, _cells, _other in only_errors.context["table"]] == [3, 4, 5, 6, 7]

    response = client.post(CONFIRM, {"expected": "2"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["2 counterparties were imported."]
    assert_the_two_valid_rows_were_created(anna, dora, setup)
    assert SESSION_KEY not in client.session
    event = BusinessEvent.objects.get(event="crm.counterparties_imported")
    assert (event.data["count"], event.data["filename"]) == (2, "tiers.xlsx")


def test_csv_upload_with_french_headers(client, dora, anna, setup):
    client.force_login(dora)
    rows = [[str(v) for v in row] for row in FRENCH_ROWS]
    response = client.post(UPLOAD, {"file": csv_file(FRENCH_HEADERS, rows)})
    assert response.status_code == 302
    page = client.get(PREVIEW)
    assert errors_by_line(page.context["preview"]) == expected_errors(setup)
    client.post(CONFIRM, {"expected": "2"})
    assert_the_two_valid_rows_were_created(anna, dora, setup)


def test_confirm_refuses_when_the_data_changed_since_the_preview(client, dora, setup):
    client.force_login(dora)
    client.post(UPLOAD, {"file": xlsx_file(FRENCH_HEADERS, FRENCH_ROWS)})
    client.get(PREVIEW)
    # Someone takes the tax id of a valid row meanwhile: that row is no longer valid.
    services.counterparty_create(actor=dora, data={"name": "Quick", "tax_id": "11111111100011"})
    before = row_counts()
    response = client.post(CONFIRM, {"expected": "2"}, follow=True)
    assert response.redirect_chain[-1][0] == PREVIEW
    assert [str(m) for m in response.context["messages"]] == [
        "The data changed since the preview: check the rows again."
    ]
    assert row_counts() == before
    assert "Import 1 valid row" in response.content.decode()


def test_a_row_refused_at_creation_undoes_the_whole_import(dora, setup):
    sheet = Sheet(["name", "tax id", "tags"], [(2, ["First", "", "Brand new"]), (3, ["Second", "X1", ""])])
    preview = build_preview(sheet)
    assert preview.valid_count == 2
    services.counterparty_create(actor=dora, data={"name": "Taken", "tax_id": "X1"})
    before = row_counts()
    with pytest.raises(ImportRowFailed) as refused:
        import_counterparties(actor=dora, preview=preview)
    assert refused.value.line == 3
    assert str(refused.value) == "Row 3: Tax id X1 is already used by Taken. Nothing was imported."
    assert row_counts() == before
    assert not Tag.objects.filter(name="Brand new").exists()


def test_upload_errors(client, dora, settings, setup):
    client.force_login(dora)
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("x.pdf", b"%PDF")})
    assert response.context["form"].errors == {"file": ["Upload an XLSX or a CSV file."]}
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("x.xlsx", b"not a zip")})
    assert response.context["form"].errors == {"file": ["This is not a readable XLSX file."]}
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("x.csv", b"name\n")})
    assert response.context["form"].errors == {"file": ["The file has column names but no rows."]}
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("x.csv", "name;e-mail\nÉté".encode("cp1252"))})
    assert response.context["form"].errors == {"file": ["The CSV file must be encoded in UTF-8."]}
    settings.MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("big.csv", b"name\n" + b"x" * (1024 * 1024 + 10))
    response = client.post(UPLOAD, {"file": big})
    assert response.context["form"].errors == {"file": ["The file is too large (1.0 MB); the limit is 1 MB."]}
    assert SESSION_KEY not in client.session


def test_template_round_trip(client, dora, anna, setup):
    client.force_login(dora)
    response = client.get(reverse("crm:counterparty-import-template"))
    assert response["Content-Type"] == XLSX
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[:6] == ["Name", "Legal name", "Kind", "Customer", "Supplier", "Tax id"]
    assert headers[-1] == "Industrie"
    assert workbook.worksheets[1]["A1"].value == "Column"
    row = {
        "Name": "From the template",
        "Tax id": "T-1",
        "Responsible": "anna@x.test",
        "Industrie": "Commerce",
        "Kind": "person",
    }
    sheet.append([row.get(h, "") for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    client.post(UPLOAD, {"file": SimpleUploadedFile("template.xlsx", buffer.getvalue())})
    assert client.get(PREVIEW).context["preview"].valid_count == 1
    client.post(CONFIRM, {"expected": "1"})
    created = Counterparty.objects.get(name="From the template")
    assert (created.kind, created.tax_id, created.responsible) == ("person", "T-1", anna)
    assert list(created.classifiers.all()) == [setup["commerce"]]


def test_cancel_forgets_the_upload(client, dora, setup):
    client.force_login(dora)
    client.post(UPLOAD, {"file": xlsx_file(FRENCH_HEADERS, FRENCH_ROWS)})
    response = client.post(reverse("crm:counterparty-import-cancel"))
    assert response.status_code == 302 and SESSION_KEY not in client.session
    assert client.get(PREVIEW).url == UPLOAD
    assert client.post(CONFIRM, {"expected": "2"}).url == UPLOAD
    assert not Counterparty.objects.filter(name="Lycée Voltaire").exists()


def test_import_needs_the_add_right(client, setup):
    client.force_login(make_user("eve", "engineer"))
    assert client.get(UPLOAD).status_code == 403
    assert client.post(CONFIRM, {"expected": "0"}).status_code == 403
