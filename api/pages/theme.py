"""A tenant's colour (`pages.primary_color`) as the pages' stylesheet reads it, with a text colour that reads
on it: black or white, whichever contrasts more (WCAG 2's relative luminance), so a pale brand colour
never leaves white text on a pale button."""

from __future__ import annotations


def _channels(color: str) -> tuple[int, int, int]:
    digits = color.removeprefix("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """WCAG 2's contrast ratio of two #rgb/#rrggbb colours, from 1 to 21."""
    lighter, darker = sorted((_luminance(_channels(first)), _luminance(_channels(second))), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_on(color: str) -> str:
    return "#000000" if contrast(color, "#000000") >= contrast(color, "#ffffff") else "#ffffff"


def theme_css(color: str) -> str:
    """The custom properties style.css builds on; a policy's colour was checked to be #rgb or #rrggbb."""
    r, g, b = _channels(color)
    brand = f"#{r:02x}{g:02x}{b:02x}"
    return f":root {{\n  --brand: {brand};\n  --on-brand: {text_on(brand)};\n}}\n"
