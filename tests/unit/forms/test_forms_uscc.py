"""统一社会信用代码 check character (GB 32100-2015)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from programs.forms import check_uscc, make_uscc
from programs.forms.uscc import ALPHABET, check_character

prefixes = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


def test_published_example_code_passes() -> None:
    # The sample code printed in explanations of GB 32100-2015.
    assert check_uscc("91350100M000100Y43")


def test_check_character_by_hand() -> None:
    # 9*1 + 1*3 + 1*9 + 1*27 + 0*19 + ... + 0*28 = 48; 48 % 31 = 17; 31 - 17 = 14 -> "E"
    assert check_character("91110000000000000") == "E"
    assert make_uscc("91110000000000000") == "91110000000000000E"


def test_sum_divisible_by_31_gives_zero() -> None:
    # "1" at the position of weight 31? none; use weights 1 and 30 (positions 1 and 16): 1 + 30 = 31
    assert check_character("1" + "0" * 14 + "1" + "0") == "0"


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y433",  # 19
        "91350100m000100Y43",  # lower case
        "91350100O000100Y43",  # O is not in the alphabet
        "91350100I000100Y43",  # I
        "91350100S000100Y43",  # S
        "",
    ],
)
def test_malformed_codes_fail(code: str) -> None:
    assert not check_uscc(code)


def test_non_string_fails() -> None:
    assert not check_uscc(None)  # type: ignore[arg-type]


def test_make_uscc_refuses_bad_prefix() -> None:
    with pytest.raises(ValueError, match="第9位"):
        make_uscc("91350100Z00010000")
    with pytest.raises(ValueError, match="17"):
        make_uscc("9135")


@given(prefixes)
def test_made_codes_pass(prefix: str) -> None:
    assert check_uscc(make_uscc(prefix))


@given(prefixes, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=30))
def test_every_single_character_substitution_is_caught(
    prefix: str, position: int, shift: int
) -> None:
    code = make_uscc(prefix)
    changed = ALPHABET[(ALPHABET.index(code[position]) + shift) % 31]
    assert not check_uscc(code[:position] + changed + code[position + 1 :])
