"""Segment counting for the SMS preview, checked exactly at the carrier boundaries."""

from hypothesis import given
from hypothesis import strategies as st

from actions.messaging.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    MAX_BODY_CHARACTERS,
    ForcingCharacter,
    analyse,
    gsm_safe,
)

# Outside GSM-7 but inside the Basic Multilingual Plane: one UCS-2 unit each.
UCS2_CHAR = "ж"
EMOJI = "\U0001f600"


def test_the_gsm7_basic_set_has_127_printable_characters_and_the_extension_table_10():
    assert len(GSM7_BASIC) == 127
    assert "\x1b" not in GSM7_BASIC
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION


def test_an_empty_body_has_no_segments():
    result = analyse("")
    assert result.segments == 0
    assert result.characters == 0
    assert result.units == 0
    assert result.encoding == "GSM-7"
    assert result.remaining == 160
    assert result.ucs2_forcing == ()


def test_160_gsm_characters_fit_one_segment():
    result = analyse("a" * 160)
    assert result.encoding == "GSM-7"
    assert result.segments == 1
    assert result.per_segment == 160
    assert result.remaining == 0


def test_161_gsm_characters_need_two_segments_of_153():
    result = analyse("a" * 161)
    assert result.segments == 2
    assert result.per_segment == 153
    assert result.remaining == 153 - 8


def test_306_gsm_characters_fill_exactly_two_segments():
    result = analyse("a" * 306)
    assert result.segments == 2
    assert result.remaining == 0


def test_307_gsm_characters_need_three_segments():
    result = analyse("a" * 307)
    assert result.segments == 3
    assert result.remaining == 152


def test_159_characters_and_a_euro_sign_are_161_septets_in_two_segments():
    result = analyse("a" * 159 + "€")
    assert result.encoding == "GSM-7"
    assert result.characters == 160
    assert result.units == 161
    assert result.segments == 2


def test_an_extension_character_alone_at_153_septets_stays_in_a_single_message():
    result = analyse("a" * 152 + "{")
    assert result.units == 154
    assert result.segments == 1
    assert result.remaining == 6


def test_an_extension_character_straddling_153_septets_moves_whole_to_segment_two():
    result = analyse("a" * 152 + "{" + "a" * 10)
    assert result.units == 164
    assert result.segments == 2
    # Segment one closes at 152 septets; segment two holds ESC, "{" and ten letters.
    assert result.remaining == 153 - 12


def test_an_unsplittable_extension_character_can_cost_a_segment_a_plain_ceil_would_miss():
    result = analyse("a" * 152 + "{" + "a" * 152)
    assert result.units == 306
    assert result.segments == 3
    assert result.remaining == 152


def test_70_ucs2_characters_fit_one_segment():
    result = analyse(UCS2_CHAR * 70)
    assert result.encoding == "UCS-2"
    assert result.segments == 1
    assert result.per_segment == 70
    assert result.remaining == 0


def test_71_ucs2_characters_need_two_segments_of_67():
    result = analyse(UCS2_CHAR * 71)
    assert result.segments == 2
    assert result.per_segment == 67
    assert result.remaining == 67 - 4


def test_134_ucs2_characters_fill_exactly_two_segments():
    result = analyse(UCS2_CHAR * 134)
    assert result.segments == 2
    assert result.remaining == 0


def test_135_ucs2_characters_need_three_segments():
    result = analyse(UCS2_CHAR * 135)
    assert result.segments == 3


def test_35_emoji_are_70_units_in_one_segment():
    result = analyse(EMOJI * 35)
    assert result.encoding == "UCS-2"
    assert result.characters == 35
    assert result.units == 70
    assert result.segments == 1


def test_36_emoji_are_72_units_in_two_segments():
    result = analyse(EMOJI * 36)
    assert result.units == 72
    assert result.segments == 2


def test_an_emoji_after_66_ucs2_characters_stays_in_a_single_message():
    result = analyse(UCS2_CHAR * 66 + EMOJI)
    assert result.units == 68
    assert result.segments == 1


def test_a_surrogate_pair_straddling_67_units_moves_whole_to_segment_two():
    result = analyse(UCS2_CHAR * 66 + EMOJI + UCS2_CHAR * 10)
    assert result.units == 78
    assert result.segments == 2
    # Segment one closes at 66 units; segment two holds both halves of the pair and ten more.
    assert result.remaining == 67 - 12


def test_an_unsplittable_surrogate_pair_can_cost_a_segment_a_plain_ceil_would_miss():
    result = analyse(UCS2_CHAR * 66 + EMOJI + UCS2_CHAR * 66)
    assert result.units == 134
    assert result.segments == 3


def test_a_curly_apostrophe_forces_ucs2_and_is_reported_with_a_suggestion():
    result = analyse("It\u2019s ready")
    assert result.encoding == "UCS-2"
    assert result.ucs2_forcing == (
        ForcingCharacter(
            char="\u2019", name="RIGHT SINGLE QUOTATION MARK", position=2, suggestion="'"
        ),
    )


def test_a_non_breaking_space_forces_ucs2_and_is_reported_with_a_suggestion():
    result = analyse("10\u00a0am")
    assert result.encoding == "UCS-2"
    assert result.ucs2_forcing == (
        ForcingCharacter(char="\u00a0", name="NO-BREAK SPACE", position=2, suggestion=" "),
    )


def test_forcing_characters_are_listed_once_in_order_of_first_appearance():
    result = analyse("ж\u2019ж\u2019\U0001f600")
    assert [(f.char, f.position) for f in result.ucs2_forcing] == [
        ("ж", 0),
        ("\u2019", 1),
        (EMOJI, 4),
    ]
    assert result.ucs2_forcing[0].suggestion is None


def test_a_character_without_a_unicode_name_is_reported_by_code_point():
    result = analyse("a\x00")
    assert result.ucs2_forcing[0].name == "U+0000"


def test_gsm_safe_replaces_typographic_punctuation_and_leaves_accents_alone():
    assert gsm_safe("\u201cHi\u201d \u2013 it\u2019s ready\u2026") == '"Hi" - it\'s ready...'
    assert gsm_safe("café") == "café"


def test_gsm_safe_removes_zero_width_and_soft_hyphen_characters():
    assert gsm_safe("a\u200bb\u00adc") == "abc"


def test_gsm_safe_makes_a_body_of_only_lookalikes_gsm7():
    body = (
        "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u00b4"  # quotes and acute accent
        "\u00a0\u202f\u2009\u200b\u00ad"  # invisible spaces and soft hyphen
        "\u2013\u2014\u2026\u2022"  # dashes, ellipsis, bullet
    )
    assert analyse(body).encoding == "UCS-2"
    assert analyse(gsm_safe(body)).encoding == "GSM-7"


def test_1600_characters_is_not_too_long():
    assert analyse("a" * MAX_BODY_CHARACTERS).too_long is False


def test_1601_characters_is_too_long():
    assert analyse("a" * (MAX_BODY_CHARACTERS + 1)).too_long is True


def test_line_feed_and_carriage_return_are_gsm7():
    result = analyse("a\r\nb")
    assert result.encoding == "GSM-7"
    assert result.units == 4


def test_form_feed_costs_two_septets():
    assert analyse("\f").units == 2


def test_lowercase_c_cedilla_forces_ucs2_but_uppercase_does_not():
    assert analyse("ç").encoding == "UCS-2"
    assert analyse("Ç").encoding == "GSM-7"


def test_a_grave_capital_forces_ucs2_but_a_grave_small_does_not():
    assert analyse("À").encoding == "UCS-2"
    assert analyse("à").encoding == "GSM-7"


@given(st.text())
def test_any_text_has_consistent_segments_units_and_an_idempotent_gsm_safe(body):
    result = analyse(body)
    assert (result.segments >= 1) == (body != "")
    assert result.characters == len(body)
    if result.encoding == "GSM-7":
        assert result.units >= result.characters
    else:
        assert result.units == len(body.encode("utf-16-le")) // 2
    assert 0 <= result.remaining <= result.per_segment
    assert gsm_safe(gsm_safe(body)) == gsm_safe(body)
