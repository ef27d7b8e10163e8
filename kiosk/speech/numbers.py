"""Numbers and amounts in words, as a voice should say them: 2050 cents -> "zwanzig Euro fünfzig"."""

from __future__ import annotations

_DE_ONES = ["null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun",
            "zehn", "elf", "zwölf", "dreizehn", "vierzehn", "fünfzehn", "sechzehn", "siebzehn",
            "achtzehn", "neunzehn"]
_DE_TENS = ["", "", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig", "achtzig",
            "neunzig"]
_EN_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
            "eighteen", "nineteen"]
_EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
LIMIT = 1_000_000_000     # amounts and balances stay far below; larger numbers are refused


def _de_below_1000(n: int, *, final: bool) -> str:
    """German 1..999; `final`: the number ends here (1 is "eins", not the compound "ein")."""
    hundreds, rest = divmod(n, 100)
    words = ""
    if hundreds:
        words = ("ein" if hundreds == 1 else _DE_ONES[hundreds]) + "hundert"
    if rest == 1:
        words += "eins" if final else "ein"
    elif 0 < rest < 20:
        words += _DE_ONES[rest]
    elif rest:
        tens, ones = divmod(rest, 10)
        if ones:
            words += ("ein" if ones == 1 else _DE_ONES[ones]) + "und"
        words += _DE_TENS[tens]
    return words


def _de(n: int) -> str:
    if n == 0:
        return "null"
    millions, rest = divmod(n, 1_000_000)
    thousands, below = divmod(rest, 1000)
    parts = []
    if millions:
        parts.append("eine Million" if millions == 1
                     else f"{_de_below_1000(millions, final=False)} Millionen")
    tail = ""
    if thousands:
        tail = _de_below_1000(thousands, final=False) + "tausend"
    if below:
        tail += _de_below_1000(below, final=True)
    if tail:
        parts.append(tail)
    return " ".join(parts)


def _en_below_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    words = []
    if hundreds:
        words.append(f"{_EN_ONES[hundreds]} hundred")
    if rest:
        if hundreds:
            words.append("and")
        if rest < 20:
            words.append(_EN_ONES[rest])
        else:
            tens, ones = divmod(rest, 10)
            words.append(_EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else ""))
    return " ".join(words)


def _en(n: int) -> str:
    if n == 0:
        return "zero"
    parts = []
    for size, name in ((1_000_000, "million"), (1000, "thousand")):
        group, n = divmod(n, size)
        if group:
            parts.append(f"{_en_below_1000(group)} {name}")
    if n:
        if parts and n < 100:
            parts.append("and")
        parts.append(_en_below_1000(n))
    return " ".join(parts)


def spell_number(n: int, language: str) -> str:
    """A whole number in words: 21 -> "einundzwanzig" / "twenty-one"."""
    if not -LIMIT < n < LIMIT:
        raise ValueError(f"cannot say {n}: only numbers below {LIMIT:,} are spoken")
    sign = "minus " if n < 0 else ""
    words = _de(abs(n)) if language == "de" else _en(abs(n))
    return sign + words


def spell_amount(cents: int, language: str) -> str:
    """An amount as people say it: 2050 -> "zwanzig Euro fünfzig" / "twenty euros fifty"."""
    sign = "minus " if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    if language == "de":
        if euros == 0 and rest == 0:
            return "null Euro"
        if euros == 0:
            return f"{sign}{'ein' if rest == 1 else spell_number(rest, 'de')} Cent"
        head = "ein Euro" if euros == 1 else f"{spell_number(euros, 'de')} Euro"
        return sign + head + (f" {spell_number(rest, 'de')}" if rest else "")
    if euros == 0 and rest == 0:
        return "zero euros"
    if euros == 0:
        return f"{sign}{spell_number(rest, 'en')} cent{'' if rest == 1 else 's'}"
    head = f"{spell_number(euros, 'en')} euro{'' if euros == 1 else 's'}"
    return sign + head + (f" {spell_number(rest, 'en')}" if rest else "")
