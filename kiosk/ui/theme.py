"""Colours of the kiosk (calm standard theme and a high-contrast theme) and WCAG contrast maths."""

from __future__ import annotations

from dataclasses import dataclass

Color = tuple[int, int, int]

# WCAG 2.x: 4.5:1 for text; 7:1 is the enhanced level the high-contrast mode must meet.
MIN_CONTRAST = 4.5
MIN_CONTRAST_HIGH = 7.0


@dataclass(frozen=True)
class Theme:
    name: str
    background: Color
    surface: Color          # cards / panels on the background
    text: Color
    muted: Color            # secondary text, still >= the contrast bar
    header: Color
    header_text: Color
    primary: Color
    on_primary: Color
    secondary: Color        # secondary buttons' fill
    on_secondary: Color
    outline: Color
    key: Color              # keypad keys
    on_key: Color
    error: Color            # text colour for problems
    success: Color
    focus: Color            # keyboard focus ring
    accent: Color           # decoration (illustrations, progress)
    min_contrast: float


STANDARD = Theme(
    name="standard",
    background=(242, 245, 247),
    surface=(255, 255, 255),
    text=(27, 39, 51),
    muted=(72, 86, 99),
    header=(255, 255, 255),
    header_text=(27, 39, 51),
    primary=(12, 100, 86),
    on_primary=(255, 255, 255),
    secondary=(255, 255, 255),
    on_secondary=(12, 90, 78),
    outline=(112, 130, 143),
    key=(228, 236, 240),
    on_key=(27, 39, 51),
    error=(168, 38, 27),
    success=(22, 104, 52),
    focus=(196, 82, 0),
    accent=(40, 150, 130),
    min_contrast=MIN_CONTRAST,
)

HIGH_CONTRAST = Theme(
    name="high_contrast",
    background=(0, 0, 0),
    surface=(0, 0, 0),
    text=(255, 255, 255),
    muted=(230, 230, 230),
    header=(0, 0, 0),
    header_text=(255, 255, 255),
    primary=(255, 224, 0),
    on_primary=(0, 0, 0),
    secondary=(0, 0, 0),
    on_secondary=(255, 255, 255),
    outline=(255, 255, 255),
    key=(30, 30, 30),
    on_key=(255, 255, 255),
    error=(255, 150, 140),
    success=(130, 255, 160),
    focus=(0, 230, 255),
    accent=(255, 224, 0),
    min_contrast=MIN_CONTRAST_HIGH,
)


def theme_for(high_contrast: bool) -> Theme:
    return HIGH_CONTRAST if high_contrast else STANDARD


def relative_luminance(color: Color) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in color[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: Color, b: Color) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
