"""The receipt's own words in the customer's language (the API's receipt lines stay as sent)."""

from __future__ import annotations

RECEIPT_TEXT: dict[str, dict[str, str]] = {
    "de": {
        "kiosk": "Kiosk:",
        "date": "Datum:",
        "topped_up": "Aufgeladen:",
        "payment": "Zahlung:",
        "pay_cash": "Bar",
        "pay_cashless": "Karte",
        "pay_cash_paid": "bar bezahlt",
        "reference": "Referenz:",
        "thanks": "Vielen Dank!",
        # The default for a multi-purpose voucher: VAT falls due when the balance is spent.
        "vat_note": "Mehrzweck-Gutschein: Die Aufladung enthält keine Umsatzsteuer; sie wird "
                    "beim Einkauf mit dem Guthaben fällig.",
    },
    "en": {
        "kiosk": "Kiosk:",
        "date": "Date:",
        "topped_up": "Topped up:",
        "payment": "Payment:",
        "pay_cash": "Cash",
        "pay_cashless": "Card",
        "pay_cash_paid": "paid in cash",
        "reference": "Reference:",
        "thanks": "Thank you!",
        "vat_note": "Multi-purpose voucher: no VAT is charged on the top-up; VAT is due when "
                    "the balance is spent.",
    },
}


def receipt_text(language: str, key: str) -> str:
    """`key` in `language`; German (the catalog of record) for a language without a catalog."""
    return RECEIPT_TEXT.get(language, RECEIPT_TEXT["de"])[key]
