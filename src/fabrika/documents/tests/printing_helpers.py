"""A small warehouse with one posted document of every kind, for the printing tests.

    from fabrika.documents.tests.printing_helpers import T, pdf_text   # `stock` is in conftest.py

Made through the services, like production data. Every document is dated 14 March 2025; Kim
Keeper posted the first receipt and the shipment. The company is Robotix SAS, with a logo.
Values worked out by hand:

  receipt   REC: 10 × M3 bolt @ 0.25 = 2.50; 4 × Controller board @ 85.50 = 342.00; total 344.50
            (quantity 14); 6 × temperature sensor "Датчик температуры" @ 12.00 = 72.00 into SHOP
  shipment  SHP: 3 × Controller board to "Bolt & Co" at FIFO cost 85.50 → 256.50
  transfer  TRF: 5 × M3 bolt MAIN → SHOP at 0.25 → 1.25
  write-off WOF: 1 × Controller board, reason "Dropped on the floor", cost 85.50
  stocktake CNT: MAIN, M3 bolt: book 5, counted 7 → +2 (valued at 0.25 → 0.50);
                 Controller board: book 0, counted 0 → 0
  customer return CRT: 1 × Controller board back from "Bolt & Co" at 85.50
  supplier return SRT: 2 × M3 bolt back to "Acme Supplies" at 0.25 → 0.50
"""

import datetime
import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from decimal import Decimal as D
from pathlib import Path

import pytest

from fabrika.catalog.models import Product, Unit
from fabrika.inventory.models import StockDocument
from fabrika.inventory.services import document_create, document_post, warehouse_create

T = StockDocument.Type
DAY = datetime.datetime(2025, 3, 14, 10, 0, tzinfo=datetime.UTC)
PDFTOTEXT = shutil.which("pdftotext") or "/usr/bin/pdftotext"


def pdf_text(pdf: bytes, *, layout: bool = True) -> str:
    """The text of a PDF as poppler's pdftotext reads it."""
    assert pdf.startswith(b"%PDF-"), pdf[:40]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        args = [PDFTOTEXT, *(["-layout"] if layout else []), str(path), "-"]
        return subprocess.run(args, check=True, capture_output=True, text=True).stdout


SCREENSHOT_DIR = Path(__file__).resolve().parents[4] / "var" / "screenshots"


def screenshot(pdf: bytes, name: str) -> Path:
    """The PDF and its first page as a PNG (60 dpi) in var/screenshots/ (git-ignored), to look at."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    (SCREENSHOT_DIR / f"{name}.pdf").write_bytes(pdf)
    pdftoppm = shutil.which("pdftoppm") or "/usr/bin/pdftoppm"
    subprocess.run(
        [
            pdftoppm,
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(SCREENSHOT_DIR / f"{name}.pdf"),
            str(SCREENSHOT_DIR / name),
        ],
        check=True,
    )
    return SCREENSHOT_DIR / f"{name}.png"


@dataclass
class Stock:
    main: object
    shop: object
    bolt: Product
    board: Product
    sensor: Product
    supplier: object
    customer: object
    docs: dict


def post(type_, warehouse, lines, actor=None, **data) -> StockDocument:
    document = document_create(actor=actor, type=type_, data={"warehouse": warehouse, "date": DAY, **data}, lines=lines)
    return document_post(actor=actor, document=document)


def logo_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 80), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 239, 79), outline=(20, 60, 140), width=4)
    draw.polygon([(20, 60), (60, 15), (100, 60)], fill=(20, 60, 140))
    draw.rectangle((120, 25, 220, 55), fill=(200, 40, 40))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def set_up_company() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fabrika.core import services as core_services

    core_services.company_settings_update(
        name="Robotix",
        legal_name="Robotix SAS",
        tax_id="FR55123456789",
        registration_number="123 456 789 RCS Lyon",
        address="14 rue des Machines\n69007 Lyon, France",
        phone="+33 4 00 00 00 00",
        email="hello@robotix.example",
        bank_name="Banque Populaire",
        bank_account="FR76 3000 6000 0112 3456 7890 189",
        bank_code="AGRIFRPP",
        logo=SimpleUploadedFile("logo.png", logo_png(), "image/png"),
    )


@pytest.fixture
def stock(db) -> Stock:
    from fabrika.access.tests.factories import make_user
    from fabrika.crm.services import counterparty_create

    set_up_company()
    keeper = make_user("kim", "storekeeper", first_name="Kim", last_name="Keeper")
    pcs = Unit.objects.create(code="pcs", name="pieces", precision=0)
    bolt = Product.objects.create(code="M3", name="M3 bolt", unit=pcs)
    board = Product.objects.create(code="CTRL-1", name="Controller board", unit=pcs)
    sensor = Product.objects.create(code="TS-1", name="Датчик температуры", unit=pcs)
    main = warehouse_create(
        actor=None, data={"code": "MAIN", "name": "Main warehouse", "valuation": "fifo", "address": "1 Factory road"}
    )
    shop = warehouse_create(actor=None, data={"code": "SHOP", "name": "Assembly shop", "valuation": "average"})
    supplier = counterparty_create(
        actor=None,
        data={"name": "Acme Supplies", "is_supplier": True, "is_customer": False, "tax_id": "FR123"},
        addresses=[{"kind": "legal", "text": "5 Supply street, Lyon"}],
    )
    customer = counterparty_create(
        actor=None,
        data={"name": "Bolt & Co"},
        addresses=[{"kind": "legal", "text": "7 Main square"}, {"kind": "delivery", "text": "Gate 3, Dock road"}],
    )
    docs = {}
    docs[T.RECEIPT] = post(
        T.RECEIPT,
        main,
        [{"product": bolt, "qty": D("10"), "price": D("0.25")}, {"product": board, "qty": D("4"), "price": D("85.50")}],
        counterparty=supplier,
        actor=keeper,
    )
    post(T.RECEIPT, shop, [{"product": sensor, "qty": D("6"), "price": D("12.00")}], counterparty=supplier)
    docs[T.SHIPMENT] = post(T.SHIPMENT, main, [{"product": board, "qty": D("3")}], counterparty=customer, actor=keeper)
    docs[T.TRANSFER] = post(T.TRANSFER, main, [{"product": bolt, "qty": D("5")}], to_warehouse=shop)
    docs[T.WRITEOFF] = post(T.WRITEOFF, main, [{"product": board, "qty": D("1")}], reason="Dropped on the floor")
    docs[T.STOCKTAKE] = post(
        T.STOCKTAKE, main, [{"product": bolt, "counted_qty": D("7")}, {"product": board, "counted_qty": D("0")}]
    )
    docs[T.CUSTOMER_RETURN] = post(
        T.CUSTOMER_RETURN, main, [{"product": board, "qty": D("1"), "price": D("85.50")}], counterparty=customer
    )
    docs[T.SUPPLIER_RETURN] = post(T.SUPPLIER_RETURN, main, [{"product": bolt, "qty": D("2")}], counterparty=supplier)
    return Stock(main, shop, bolt, board, sensor, supplier, customer, docs)
