"""Import of counterparties from XLSX or CSV.

Three steps, the file itself is never kept:

1. `read_upload()` turns the uploaded file into a `Sheet` (header + rows of plain strings, each
   with its line number in the file); the page keeps that in the session as JSON.
2. `build_preview()` maps the columns (names in English, French or Russian, or the name/code of a
   classifier) and checks every row: parsed values, per-field errors in the user's language,
   warnings about possible duplicates. It is run again at confirmation, on fresh data.
3. `import_counterparties()` creates every valid row through `counterparty_create` in one
   transaction: all valid rows, or nothing.
"""

import csv
import datetime
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fabrika.audit.services import record_event
from fabrika.core.errors import DomainError, ValidationFailed

from .models import Address, ClassifierKind, ClassifierValue, Counterparty
from .models.counterparties import normalize_phone
from .services import counterparty_create, tag_get_or_create

MAX_ROWS = 5000


class ImportFileError(DomainError):
    """The file cannot be read as a table."""

    code = "import_file"


class ImportRowFailed(DomainError):
    """A row was refused at creation (the data changed since the preview): nothing was imported."""

    code = "import_row_failed"

    def __init__(self, line: int, errors: dict[str, list[str]]):
        self.line = line
        self.errors = errors
        text = "; ".join(" ".join(m) for m in errors.values())
        super().__init__(
            _("Row %(line)d: %(errors)s Nothing was imported.") % {"line": line, "errors": text},
            line=line,
            errors=errors,
        )


# --- reading files ------------------------------------------------------------------------


@dataclass
class Sheet:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (line number in the file, cells)
    filename: str = ""

    def to_json(self) -> dict:
        return {
            "headers": self.headers,
            "rows": [[line, cells] for line, cells in self.rows],
            "filename": self.filename,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Sheet":
        return cls(
            list(data["headers"]),
            [(int(line), list(cells)) for line, cells in data["rows"]],
            data.get("filename", ""),
        )


def read_upload(upload) -> Sheet:
    """An uploaded XLSX or CSV file as a `Sheet` (raises ImportFileError)."""
    name = (upload.name or "").lower()
    if name.endswith(".xlsx"):
        sheet = read_xlsx(upload)
    else:
        sheet = read_csv(upload.read())
    sheet.filename = upload.name or ""
    return sheet


def read_xlsx(fileobj) -> Sheet:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ImportFileError(_("This is not a readable XLSX file.")) from None
    try:
        worksheet = workbook.worksheets[0]
        lines, filled = [], 0
        for values in worksheet.iter_rows(values_only=True):
            cells = [_cell_text(v) for v in values]
            lines.append(cells)
            filled += any(cells)
            if filled > MAX_ROWS + 1:  # the header and one row too many: _sheet() refuses the file
                break
    finally:
        workbook.close()
    return _sheet(lines)


def read_csv(raw: bytes) -> Sheet:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_("The CSV file must be encoded in UTF-8.")) from None
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    try:
        delimiter = csv.Sniffer().sniff(text[:20000], delimiters=";,").delimiter
    except csv.Error:
        delimiter = None
    if delimiter is None or delimiter not in first_line:
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        lines = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise ImportFileError(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from None
    return _sheet(lines)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _sheet(lines: list[list[str]]) -> Sheet:
    numbered = [(n, cells) for n, cells in enumerate(lines, start=1) if any(c.strip() for c in cells)]
    if not numbered:
        raise ImportFileError(_("The file is empty."))
    (_header_line, headers), rows = numbered[0], numbered[1:]
    if len(rows) > MAX_ROWS:
        raise ImportFileError(_("The file has more than %(n)d rows; split it into smaller files.") % {"n": MAX_ROWS})
    width = len(headers)
    rows = [(n, (cells + [""] * width)[:width]) for n, cells in rows]
    return Sheet([h.strip() for h in headers], rows)


# --- columns ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # lazy translated label: also the column name of the template
    aliases: tuple[str, ...] = ()


COLUMNS = [
    Column(
        "name",
        gettext_lazy("Name"),
        (
            "name",
            "company",
            "company name",
            "nom",
            "nom de l'entreprise",
            "société",
            "наименование",
            "название",
            "краткое наименование",
        ),
    ),
    Column(
        "legal_name",
        gettext_lazy("Legal name"),
        (
            "legal name",
            "raison sociale",
            "dénomination sociale",
            "полное наименование",
            "юридическое наименование",
        ),
    ),
    Column("kind", gettext_lazy("Kind"), ("kind", "type", "type de tiers", "тип", "вид")),
    Column("is_customer", gettext_lazy("Customer"), ("customer", "is customer", "client", "клиент", "покупатель")),
    Column(
        "is_supplier",
        gettext_lazy("Supplier"),
        ("supplier", "is supplier", "vendor", "fournisseur", "поставщик"),
    ),
    Column(
        "tax_id",
        gettext_lazy("Tax id"),
        (
            "tax id",
            "tax number",
            "vat",
            "vat number",
            "siret",
            "siren",
            "numéro de tva",
            "n° tva",
            "tva",
            "инн",
        ),
    ),
    Column(
        "registration_number",
        gettext_lazy("Registration number"),
        ("registration number", "registration", "company number", "rcs", "numéro d'enregistrement", "огрн"),
    ),
    Column("phone", gettext_lazy("Phone"), ("phone", "telephone", "tel", "téléphone", "tél", "телефон", "тел")),
    Column(
        "email",
        gettext_lazy("E-mail"),
        ("email", "e-mail", "mail", "courriel", "adresse e-mail", "почта", "эл почта", "электронная почта"),
    ),
    Column(
        "website",
        gettext_lazy("Website"),
        ("website", "web site", "site", "site web", "site internet", "url", "сайт"),
    ),
    Column(
        "address",
        gettext_lazy("Address"),
        ("address", "legal address", "adresse", "adresse légale", "siège", "адрес", "юридический адрес"),
    ),
    Column(
        "delivery_address",
        gettext_lazy("Delivery address"),
        ("delivery address", "shipping address", "adresse de livraison", "адрес доставки"),
    ),
    Column(
        "responsible",
        gettext_lazy("Responsible"),
        (
            "responsible",
            "responsible manager",
            "manager",
            "owner",
            "responsable",
            "commercial",
            "ответственный",
            "менеджер",
        ),
    ),
    Column("tags", gettext_lazy("Tags"), ("tags", "tag", "étiquettes", "mots-clés", "теги", "метки")),
    Column("bank_name", gettext_lazy("Bank"), ("bank", "bank name", "banque", "банк")),
    Column(
        "bank_account",
        gettext_lazy("Bank account"),
        ("bank account", "iban", "account", "compte bancaire", "расчетный счет", "р/с", "счет"),
    ),
    Column("bank_code", gettext_lazy("Bank code (BIC)"), ("bic", "swift", "bank code", "code banque", "бик")),
    Column(
        "notes",
        gettext_lazy("Notes"),
        ("notes", "note", "comment", "comments", "commentaire", "remarques", "примечание", "комментарий"),
    ),
]
PLAIN_FIELDS = (
    "name",
    "legal_name",
    "tax_id",
    "registration_number",
    "phone",
    "email",
    "website",
    "bank_name",
    "bank_account",
    "bank_code",
    "notes",
)
CLASSIFIER_PREFIX = "classifier:"


def normalize(text: str) -> str:
    """A column name or choice for matching: no accents, case, spaces or punctuation."""
    text = unicodedata.normalize("NFKD", str(text)).casefold()
    return "".join(ch for ch in text if ch.isalnum() and not unicodedata.combining(ch))


def _alias_map() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for column in COLUMNS:
        names = [column.key, *column.aliases]
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names.append(str(column.label))
        for name in names:
            aliases.setdefault(normalize(name), column.key)
    return aliases


@dataclass
class Mapping:
    keys: list[str | None]  # per file column: a field key, "classifier:<pk>", or None (ignored)
    labels: dict[str, str]  # key -> label shown in the preview
    ignored: list[str]
    kinds: dict[int, ClassifierKind]


def map_columns(headers: list[str]) -> Mapping:
    aliases = _alias_map()
    kinds = {k.pk: k for k in ClassifierKind.objects.all()}
    kind_names = {}
    for kind in kinds.values():
        kind_names.setdefault(normalize(kind.name), kind.pk)
        kind_names.setdefault(normalize(kind.code), kind.pk)
    keys: list[str | None] = []
    labels: dict[str, str] = {}
    ignored: list[str] = []
    for header in headers:
        norm = normalize(header)
        key = aliases.get(norm)
        if key is None and norm in kind_names:
            key = f"{CLASSIFIER_PREFIX}{kind_names[norm]}"
        if key is None or key in labels:
            keys.append(None)
            if header:
                ignored.append(header)
            continue
        keys.append(key)
        labels[key] = header
    return Mapping(keys, labels, ignored, kinds)


# --- checking rows ------------------------------------------------------------------------

YES = {"1", "yes", "y", "true", "x", "oui", "o", "vrai", "да", "д", "истина", "+"}
NO = {"0", "no", "n", "false", "non", "faux", "нет", "н", "ложь", "-"}
KIND_WORDS = {
    Counterparty.Kind.COMPANY: (
        "company",
        "organisation",
        "organization",
        "business",
        "entreprise",
        "société",
        "personne morale",
        "компания",
        "организация",
        "юрлицо",
        "юридическое лицо",
        "юл",
    ),
    Counterparty.Kind.PERSON: (
        "person",
        "individual",
        "private",
        "personne",
        "particulier",
        "personne physique",
        "физлицо",
        "физическое лицо",
        "частное лицо",
        "фл",
    ),
}


@dataclass
class Row:
    line: int
    values: dict[str, str]  # key -> the cell as it was in the file
    shown: dict[str, str] = field(default_factory=dict)  # key -> the parsed value as shown
    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)  # for counterparty_create
    addresses: list[dict] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)


@dataclass
class Preview:
    columns: list[tuple[str, str]]  # (key, header) of the mapped columns, in file order
    rows: list[Row]
    ignored: list[str]
    missing_name_column: bool = False

    @property
    def valid_rows(self) -> list[Row]:
        return [r for r in self.rows if r.valid]

    @property
    def valid_count(self) -> int:
        return len(self.valid_rows)

    @property
    def error_count(self) -> int:
        return len(self.rows) - self.valid_count


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


class _Users:
    """Finds the responsible manager by user name, full name ("First Last" or "Last First") or e-mail."""

    def __init__(self):
        self.by_key: dict[str, list] = {}
        for user in get_user_model().objects.filter(is_active=True):
            keys = {
                user.username.casefold(),
                (user.email or "").casefold(),
                f"{user.first_name} {user.last_name}".strip().casefold(),
                f"{user.last_name} {user.first_name}".strip().casefold(),
            }
            for key in keys - {""}:
                bucket = self.by_key.setdefault(" ".join(key.split()), [])
                if user not in bucket:
                    bucket.append(user)

    def find(self, text: str):
        return self.by_key.get(" ".join(text.casefold().split()), [])


def build_preview(sheet: Sheet) -> Preview:
    mapping = map_columns(sheet.headers)
    values_by_kind: dict[int, dict[str, ClassifierValue]] = {}
    for value in ClassifierValue.objects.select_related("kind"):
        values_by_kind.setdefault(value.kind_id, {})[value.name.casefold()] = value
    kind_words = {normalize(w): kind for kind, words in KIND_WORDS.items() for w in (kind.value, *words)}
    for kind in Counterparty.Kind:
        kind_words.setdefault(normalize(kind.label), kind)
    users = _Users()

    rows = []
    for line, cells in sheet.rows:
        values = {key: cell.strip() for key, cell in zip(mapping.keys, cells, strict=False) if key}
        row = Row(line=line, values=values)
        _check_row(row, mapping, values_by_kind, kind_words, users)
        rows.append(row)
    _check_tax_ids(rows)
    _warn_duplicates(rows)
    columns = [(key, mapping.labels[key]) for key in mapping.keys if key]
    return Preview(columns, rows, mapping.ignored, missing_name_column="name" not in mapping.labels)


def _check_row(row: Row, mapping: Mapping, values_by_kind, kind_words, users) -> None:
    values, data = row.values, row.data
    for key in PLAIN_FIELDS:
        text = values.get(key, "")
        if key == "name" and not text:
            row.error("name", _("The name is missing."))
            continue
        if not text:
            continue
        try:
            data[key] = Counterparty._meta.get_field(key).clean(text, None)
            row.shown[key] = data[key]
        except ValidationError as exc:
            for message in exc.messages:
                row.error(key, message)

    kind_text = values.get("kind", "")
    if kind_text:
        kind = kind_words.get(normalize(kind_text))
        if kind is None:
            row.error("kind", _("Unknown kind “%(value)s”: use company or person.") % {"value": kind_text})
        else:
            data["kind"] = kind.value
            row.shown["kind"] = str(kind.label)

    for key in ("is_customer", "is_supplier"):
        text = values.get(key, "")
        if not text:
            continue
        word = text.casefold()
        if word in YES:
            data[key] = True
        elif word in NO:
            data[key] = False
        else:
            row.error(key, _("“%(value)s” is neither yes nor no.") % {"value": text})
            continue
        row.shown[key] = _("yes") if data[key] else _("no")

    name = values.get("responsible", "")
    if name:
        found = users.find(name)
        if not found:
            row.error("responsible", _("Unknown user “%(name)s”.") % {"name": name})
        elif len(found) > 1:
            row.error("responsible", _("Several users match “%(name)s”: use the user name.") % {"name": name})
        else:
            data["responsible"] = found[0]
            row.shown["responsible"] = str(found[0])

    for key, kind in ((k, int(k.removeprefix(CLASSIFIER_PREFIX))) for k in values if k.startswith(CLASSIFIER_PREFIX)):
        chosen = []
        for text in _split_list(values[key]):
            value = values_by_kind.get(kind, {}).get(text.casefold())
            if value is None:
                row.error(
                    key,
                    _("Unknown value “%(value)s” of %(kind)s.") % {"value": text, "kind": mapping.kinds[kind].name},
                )
            else:
                chosen.append(value)
        if chosen:
            data.setdefault("classifiers", []).extend(chosen)
            row.shown[key] = ", ".join(v.name for v in chosen)

    for tag in _split_list(values.get("tags", "")):
        if len(tag) > 50:
            row.error("tags", _("A tag is at most 50 characters long: %(tag)s") % {"tag": tag})
        elif tag.casefold() not in {t.casefold() for t in row.tags}:
            row.tags.append(tag)
    if row.tags:
        row.shown["tags"] = ", ".join(row.tags)

    for key, kind in (("address", Address.Kind.LEGAL), ("delivery_address", Address.Kind.DELIVERY)):
        if values.get(key):
            row.addresses.append({"kind": kind, "text": values[key]})
            row.shown[key] = values[key]


def _check_tax_ids(rows: list[Row]) -> None:
    first_line: dict[str, int] = {}
    for row in rows:
        tax_id = row.data.get("tax_id", "")
        if not tax_id:
            continue
        if tax_id in first_line:
            row.error(
                "tax_id",
                _("Tax id %(tax_id)s is repeated in the file (see row %(line)d).")
                % {"tax_id": tax_id, "line": first_line[tax_id]},
            )
        else:
            first_line[tax_id] = row.line
    taken = dict(Counterparty.objects.filter(tax_id__in=list(first_line)).values_list("tax_id", "name"))
    for row in rows:
        tax_id = row.data.get("tax_id", "")
        if tax_id in taken:
            row.error(
                "tax_id",
                _("Tax id %(tax_id)s is already used by %(name)s.") % {"tax_id": tax_id, "name": taken[tax_id]},
            )


def _warn_duplicates(rows: list[Row]) -> None:
    """Same e-mail or phone as an existing counterparty: imported anyway, but the user is told."""
    emails = {row.data["email"].casefold() for row in rows if row.data.get("email")}
    phones = {normalize_phone(row.data["phone"]) for row in rows if row.data.get("phone")}
    phones = {p for p in phones if len(p) >= 6}
    if not emails and not phones:
        return
    by_email: dict[str, str] = {}
    by_phone: dict[str, str] = {}
    if emails:
        qs = Counterparty.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails)
        for email, name in qs.values_list("email_lower", "name"):
            by_email.setdefault(email, name)
    if phones:
        for phone, name in Counterparty.objects.filter(phone_normalized__in=phones).values_list(
            "phone_normalized", "name"
        ):
            by_phone.setdefault(phone, name)
    for row in rows:
        email = row.data.get("email", "").casefold()
        phone = normalize_phone(row.data.get("phone", ""))
        name = by_email.get(email) or by_phone.get(phone)
        if name:
            row.warnings.append(_("Possible duplicate of %(name)s (same e-mail or phone).") % {"name": name})


# --- creating -----------------------------------------------------------------------------


@transaction.atomic
def import_counterparties(*, actor, preview: Preview, filename: str = "") -> list[Counterparty]:
    """Create every valid row of the preview; a refused row undoes the whole import."""
    created = []
    for row in preview.valid_rows:
        data = dict(row.data)
        data["tags"] = [tag_get_or_create(actor=actor, name=name) for name in row.tags]
        try:
            counterparty = counterparty_create(actor=actor, data=data, addresses=row.addresses, confirm_duplicates=True)
        except ValidationFailed as exc:
            raise ImportRowFailed(row.line, exc.errors) from None
        created.append(counterparty)
    record_event(
        "crm.counterparties_imported",
        None,
        actor=actor,
        count=len(created),
        filename=filename,
        ids=[c.pk for c in created],
    )
    return created


# --- template -----------------------------------------------------------------------------


def template_workbook():
    """An XLSX with the column names in the user's language and a help sheet of allowed values."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Counterparties")[:31]
    kinds = list(ClassifierKind.objects.prefetch_related("values"))
    headers = [str(c.label) for c in COLUMNS] + [k.name for k in kinds]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(12, len(header) + 4)
    sheet.freeze_panes = "A2"

    help_sheet = workbook.create_sheet(_("Help")[:31])
    help_sheet.append([_("Column"), _("Allowed values")])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    help_sheet.append([str(COLUMNS[0].label), _("Required.")])
    help_sheet.append([str(_column("kind").label), ", ".join(str(k.label) for k in Counterparty.Kind)])
    yes_no = f"{_('yes')} / {_('no')}"
    help_sheet.append([str(_column("is_customer").label), yes_no])
    help_sheet.append([str(_column("is_supplier").label), yes_no])
    help_sheet.append([str(_column("responsible").label), _("User name, full name or e-mail of a user.")])
    help_sheet.append([str(_column("tags").label), _("Separated by commas.")])
    for kind in kinds:
        help_sheet.append([kind.name, ", ".join(v.name for v in kind.values.all())])
    help_sheet.column_dimensions["A"].width = 28
    help_sheet.column_dimensions["B"].width = 80
    return workbook


def _column(key: str) -> Column:
    return next(c for c in COLUMNS if c.key == key)
