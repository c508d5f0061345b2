"""Templates and data the generate tests share (built in code, no binary fixtures)."""

from __future__ import annotations

import io
from typing import Any

INVOICE_HTML = """<!DOCTYPE html>
<html><head><style>
  .total { font-weight: bold; }
  td.num, th.num { text-align: right; }
</style></head>
<body>
<h1>Invoice {{ invoice.number }}</h1>
<p>Date: {{ invoice.date }}<br>Due: {{ invoice.due }}</p>
<h2>Bill to</h2>
<p>{{ customer.name }}<br>{{ customer.address }}</p>
{% set ns = namespace(total=0) %}
<table>
  <thead><tr><th>SKU</th><th>Description</th>
    <th class="num">Qty</th><th class="num">Unit</th><th class="num">Amount</th></tr></thead>
  <tbody>
  {% for item in items %}
    {% set amount = item.qty * item.unit_price %}
    {% set ns.total = ns.total + amount %}
    <tr><td>{{ item.sku }}</td><td>{{ item.description }}</td><td class="num">{{ item.qty }}</td>
        <td class="num">{{ "%.2f"|format(item.unit_price) }}</td>
        <td class="num">{{ "%.2f"|format(amount) }}</td></tr>
  {% endfor %}
  </tbody>
</table>
<p class="total">Total due: {{ "%.2f"|format(ns.total) }} {{ invoice.currency }}</p>
</body></html>
"""


def invoice_data(n_items: int = 6) -> dict[str, Any]:
    return {
        "invoice": {"number": "INV-2026-0042", "date": "2026-11-29", "due": "2026-12-29", "currency": "EUR"},
        "customer": {"name": "Müller & Söhne GmbH", "address": "Hauptstraße 5, 10115 Berlin"},
        "items": [
            {
                "sku": f"SKU-{i:04d}",
                "description": f"Widget model {i}",
                "qty": i % 5 + 1,
                "unit_price": round(9.5 + i * 1.25, 2),
            }
            for i in range(1, n_items + 1)
        ],
    }


def invoice_total(data: dict[str, Any]) -> float:
    return sum(item["qty"] * item["unit_price"] for item in data["items"])


REPORT_MARKDOWN = """# Quarterly report: {{ quarter }}

Prepared for **{{ team }}**.

## Highlights

{% for h in highlights -%}
- {{ h }}
{% endfor %}
## Figures

| Region | Revenue | Growth |
|--------|--------:|-------:|
{% for r in regions -%}
| {{ r.name }} | {{ r.revenue }} | {{ r.growth }}% |
{% endfor %}
"""

REPORT_DATA: dict[str, Any] = {
    "quarter": "Q3 2026",
    "team": "Operations",
    "highlights": ["Shipped the new warehouse", "Cut returns by 12%", "Hired 4 engineers"],
    "regions": [
        {"name": "North", "revenue": "1,200,000", "growth": 4.5},
        {"name": "South", "revenue": "860,500", "growth": -1.2},
        {"name": "West", "revenue": "2,310,900", "growth": 9.8},
    ],
}


def docx_offer_template() -> bytes:
    """A Word template with docxtpl tags: a heading, paragraphs, a table row per item, a footer."""
    import docx

    document = docx.Document()
    document.add_heading("Offer {{ number }}", level=1)
    document.add_paragraph("Dear {{ customer.name }},")
    document.add_paragraph("we are pleased to offer {{ items|length }} items:")
    table = document.add_table(rows=4, cols=3)
    table.cell(0, 0).text = "Item"
    table.cell(0, 1).text = "Qty"
    table.cell(0, 2).text = "Price"
    table.cell(1, 0).text = "{%tr for it in items %}"
    table.cell(2, 0).text = "{{ it.name }}"
    table.cell(2, 1).text = "{{ it.qty }}"
    table.cell(2, 2).text = "{{ '%.2f'|format(it.price) }}"
    table.cell(3, 0).text = "{%tr endfor %}"
    document.add_paragraph("Valid until {{ valid_until }}.")
    document.sections[0].footer.paragraphs[0].text = "{{ company }} - offer {{ number }}"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


OFFER_DATA: dict[str, Any] = {
    "number": "OF-77",
    "customer": {"name": "Dupont <Frères> & Cie"},
    "items": [
        {"name": "Desk", "qty": 2, "price": 249.0},
        {"name": "Chair", "qty": 4, "price": 89.5},
        {"name": "Lamp", "qty": 1, "price": 35.25},
    ],
    "valid_until": "2026-12-31",
    "company": "Acme Office Supplies",
}
