"""Reads the availability table of the order card (stdlib HTML parser): one dict per row with the
row's attributes and each `data-col` cell's text."""

from html.parser import HTMLParser


class _Table(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows: list[dict] = []
        self.inside = False
        self.row: dict | None = None
        self.col: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "availability":
            self.inside = True
        elif self.inside and tag == "tr" and ("data-line" in attrs or "data-part" in attrs):
            self.row = {key: value for key, value in attrs.items() if key.startswith("data-")}
            self.rows.append(self.row)
        elif self.row is not None and tag == "td" and "data-col" in attrs:
            self.col = attrs["data-col"]
            self.row[self.col] = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self.col = None
        elif tag == "table":
            self.inside = False
            self.row = None

    def handle_data(self, data):
        if self.row is not None and self.col:
            self.row[self.col] += data


def availability_rows(html: str) -> list[dict]:
    parser = _Table()
    parser.feed(html)
    for row in parser.rows:
        for key, value in row.items():
            row[key] = " ".join(value.split())
    return parser.rows


def figures(row: dict, which: str) -> tuple:
    """(needed, from stock, requested, [from supply,] to produce, to purchase, ready) of one analysis
    ("now" is stock only: it has no "from supply" column)."""
    names = ("needed", "from_stock", "requested", "from_supply", "to_produce", "to_purchase", "ready")
    return tuple(row[f"{which}-{name}"] for name in names if which != "now" or name != "from_supply")
