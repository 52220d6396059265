"""统一社会信用代码 (unified social credit code) check character, GB 32100-2015."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18
_VALUE = {char: index for index, char in enumerate(ALPHABET)}


def check_character(prefix17: str) -> str:
    """The 18th character for the first 17 (GB 32100-2015 4.3: weights 3^i mod 31)."""
    if len(prefix17) != LENGTH - 1:
        raise ValueError(
            f"统一社会信用代码前17位长度应为17，实际为{len(prefix17)} "
            f"(the first 17 characters are needed, got {len(prefix17)})"
        )
    total = 0
    for position, (char, weight) in enumerate(zip(prefix17, WEIGHTS, strict=True), start=1):
        value = _VALUE.get(char)
        if value is None:
            raise ValueError(
                f"统一社会信用代码第{position}位“{char}”不在代码字符集内 "
                f"(character {position} {char!r} is not in the GB 32100-2015 alphabet)"
            )
        total += value * weight
    return ALPHABET[(31 - total % 31) % 31]


def is_well_formed(code: str) -> bool:
    """18 characters, all from the code alphabet (upper case, no I, O, S, V, Z)."""
    return len(code) == LENGTH and all(char in _VALUE for char in code)


def check_uscc(code: str) -> bool:
    """True when `code` is 18 characters of the alphabet and its check character is right."""
    if not isinstance(code, str) or not is_well_formed(code):
        return False
    return check_character(code[:17]) == code[17]


def make_uscc(prefix17: str) -> str:
    """A valid code: `prefix17` followed by its check character."""
    return prefix17 + check_character(prefix17)
