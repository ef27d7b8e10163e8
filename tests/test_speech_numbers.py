"""The number speller against a table: amounts and balances said the way people say them."""

import pytest

from kiosk.speech.numbers import spell_amount, spell_number
from kiosk.speech.utterance import speak_text

AMOUNTS = [
    (2050, "zwanzig Euro fünfzig", "twenty euros fifty"),
    (1500, "fünfzehn Euro", "fifteen euros"),
    (100, "ein Euro", "one euro"),
    (101, "ein Euro eins", "one euro one"),
    (50, "fünfzig Cent", "fifty cents"),
    (1, "ein Cent", "one cent"),
    (0, "null Euro", "zero euros"),
    (2199, "einundzwanzig Euro neunundneunzig", "twenty-one euros ninety-nine"),
    (3170, "einunddreißig Euro siebzig", "thirty-one euros seventy"),
    (10000, "einhundert Euro", "one hundred euros"),
    (20000, "zweihundert Euro", "two hundred euros"),
    (11111, "einhundertelf Euro elf", "one hundred and eleven euros eleven"),
    (17600, "einhundertsechsundsiebzig Euro", "one hundred and seventy-six euros"),
    (100000, "eintausend Euro", "one thousand euros"),
    (123456, "eintausendzweihundertvierunddreißig Euro sechsundfünfzig",
     "one thousand two hundred and thirty-four euros fifty-six"),
    (-250, "minus zwei Euro fünfzig", "minus two euros fifty"),
]

NUMBERS = [
    (0, "null", "zero"), (1, "eins", "one"), (7, "sieben", "seven"), (12, "zwölf", "twelve"),
    (16, "sechzehn", "sixteen"), (17, "siebzehn", "seventeen"), (30, "dreißig", "thirty"),
    (61, "einundsechzig", "sixty-one"), (101, "einhunderteins", "one hundred and one"),
    (1001, "eintausendeins", "one thousand and one"),
    (2000000, "zwei Millionen", "two million"),
    (1000000, "eine Million", "one million"),
]


@pytest.mark.parametrize(("cents", "de", "en"), AMOUNTS)
def test_amounts(cents: int, de: str, en: str) -> None:
    assert spell_amount(cents, "de") == de
    assert spell_amount(cents, "en") == en


@pytest.mark.parametrize(("n", "de", "en"), NUMBERS)
def test_numbers(n: int, de: str, en: str) -> None:
    assert spell_number(n, "de") == de
    assert spell_number(n, "en") == en


def test_too_large_is_refused() -> None:
    with pytest.raises(ValueError, match="below"):
        spell_number(10**9, "de")


def test_screen_text_amounts_and_masked_cards() -> None:
    # exactly what kiosk.money.format_amount and kiosk.cards.mask_card write on screen
    assert speak_text("Neues Guthaben: 1.234,50\u00a0€", "de") == \
        "Neues Guthaben: eintausendzweihundertvierunddreißig Euro fünfzig"
    assert speak_text("9276 •••• •••• 2845", "en") == "card ending in 2 8 4 5"
    assert speak_text("Done – thank you!", "en") == "Done, thank you!"
