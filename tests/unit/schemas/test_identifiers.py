"""Identifiers as agencies actually write them, and the canonical forms they must correlate on.

Personnummer samples are fabricated: a date and birth number with the check digit computed by
`luhn` below, a reference implementation written independently of the module under test.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import unicodedata
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, ValidationError

from schemas.identifiers import (
    Fastighetsbeteckning,
    IdentifierError,
    Organisationsnummer,
    Personnummer,
    birth_date,
    is_samordningsnummer,
    legal_form_group,
    normalise_address,
    parse_address,
    parse_fastighetsbeteckning,
    parse_organisationsnummer,
    parse_personnummer,
    pseudonymise,
)

TODAY = date(2025, 6, 15)
KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def luhn(payload: str) -> str:
    """Check digit by the modulus-10 method: weights 2, 1, 2, ... from the left."""
    total = 0
    for position, digit in enumerate(int(char) for char in payload):
        product = digit * 2 if position % 2 == 0 else digit
        total += product // 10 + product % 10
    return str((10 - total % 10) % 10)


def pnr(yyyymmdd: str, birth_number: str) -> str:
    """A 12-digit personnummer with a correct check digit."""
    return yyyymmdd + birth_number + luhn(yyyymmdd[2:] + birth_number)


def orgnr(first_nine: str) -> str:
    digits = first_nine + luhn(first_nine)
    return f"{digits[:6]}-{digits[6:]}"


def wrong_check_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


# --- Organisationsnummer --------------------------------------------------------------------

SAAB = "556036-0793"  # Saab AB, aktiebolag
STOCKHOLMS_STAD = "212000-0142"  # Stockholms stad, municipality


def test_published_sample_numbers_pass_the_reference_luhn() -> None:
    assert orgnr("556036079") == SAAB
    assert orgnr("212000014") == STOCKHOLMS_STAD


@pytest.mark.parametrize(
    "written",
    [
        "556036-0793",
        "5560360793",
        "  556036-0793\n",
        "16556036-0793",
        "165560360793",
        "\t165560360793 ",
    ],
)
def test_organisationsnummer_forms_reduce_to_one_canonical_form(written: str) -> None:
    assert parse_organisationsnummer(written) == SAAB


def test_municipality_number_and_its_legal_form_group() -> None:
    assert parse_organisationsnummer("2120000142") == STOCKHOLMS_STAD
    assert legal_form_group(STOCKHOLMS_STAD) == 2
    assert legal_form_group("165560360793") == 5


def test_wrong_check_digit_says_which_digit_was_expected() -> None:
    with pytest.raises(IdentifierError) as raised:
        parse_organisationsnummer("556036-0794")
    assert str(raised.value) == "organisationsnummer '556036-0794': check digit is 4, expected 3"


@pytest.mark.parametrize("month_digits", ["00", "01", "12", "19"])
def test_digits_three_and_four_below_20_look_like_a_date_and_are_rejected(
    month_digits: str,
) -> None:
    number = orgnr(f"55{month_digits}36079")
    with pytest.raises(IdentifierError, match=r"digits 3-4 are \d\d, expected 20 or more"):
        parse_organisationsnummer(number)


def test_digits_three_and_four_of_exactly_20_are_accepted() -> None:
    number = orgnr("552036079")
    assert parse_organisationsnummer(number) == number


def test_a_sole_traders_personnummer_is_not_an_organisationsnummer() -> None:
    sole_trader = pnr("19811218", "987")
    with pytest.raises(IdentifierError, match="personnummer"):
        parse_organisationsnummer(sole_trader[2:])
    with pytest.raises(IdentifierError, match="starts with 16"):
        parse_organisationsnummer(sole_trader)


def test_legal_form_group_zero_is_rejected() -> None:
    number = orgnr("052036079")
    with pytest.raises(IdentifierError, match=r"legal-form group\) is 0, expected 1-9"):
        parse_organisationsnummer(number)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "556036-079",
        "556036-07930",
        "556036--0793",
        "556036 0793",
        "5560-360793",
        "556036-0793x",
        "SE556036079301",
        "17556036-0793",
        "５５６０３６-０７９３",  # full-width digits
    ],
)
def test_malformed_organisationsnummer_is_rejected(garbage: str) -> None:
    with pytest.raises(IdentifierError, match="organisationsnummer"):
        parse_organisationsnummer(garbage)


@given(
    group=st.integers(1, 9),
    second=st.integers(0, 9),
    middle=st.integers(20, 99),
    rest=st.integers(0, 99999),
    with_prefix=st.booleans(),
    with_hyphen=st.booleans(),
)
def test_property_any_valid_organisationsnummer_parses_in_every_form(
    group: int, second: int, middle: int, rest: int, with_prefix: bool, with_hyphen: bool
) -> None:
    canonical = orgnr(f"{group}{second}{middle}{rest:05d}")
    written = ("16" if with_prefix else "") + (
        canonical if with_hyphen else canonical.replace("-", "")
    )
    assert parse_organisationsnummer(written) == canonical
    assert parse_organisationsnummer(canonical) == canonical
    assert legal_form_group(written) == group
    with pytest.raises(IdentifierError, match="check digit"):
        parse_organisationsnummer(wrong_check_digit(canonical))


# --- Personnummer and samordningsnummer -----------------------------------------------------


def test_skatteverkets_example_number_in_all_written_forms() -> None:
    canonical = "191212121212"
    assert pnr("19121212", "121") == canonical
    assert parse_personnummer("191212121212", today=TODAY) == canonical
    assert parse_personnummer("19121212-1212", today=TODAY) == canonical
    assert parse_personnummer("121212+1212", today=TODAY) == canonical
    assert parse_personnummer(" 121212+1212 ", today=TODAY) == canonical
    # Without '+' the same ten digits are a child born in 2012.
    assert parse_personnummer("121212-1212", today=TODAY) == "201212121212"
    assert parse_personnummer("1212121212", today=TODAY) == "201212121212"


@pytest.mark.parametrize(
    ("born", "written_date", "expected_year"),
    [
        ("19811218", "811218", "1981"),
        ("20100304", "100304", "2010"),
        ("20250615", "250615", "2025"),  # born today
        ("19250616", "250616", "1925"),  # '25' tomorrow would be in the future: 1925
        ("19260101", "260101", "1926"),
    ],
)
def test_dash_or_no_separator_means_the_latest_century_not_in_the_future(
    born: str, written_date: str, expected_year: str
) -> None:
    number = pnr(born, "384")
    assert number[:4] == expected_year
    tail = number[8:]
    assert parse_personnummer(f"{written_date}-{tail}", today=TODAY) == number
    assert parse_personnummer(f"{written_date}{tail}", today=TODAY) == number


def test_plus_means_born_at_least_100_calendar_years_ago() -> None:
    old = pnr("19230410", "123")
    assert parse_personnummer(f"230410+{old[8:]}", today=TODAY) == old


def test_plus_applies_from_the_calendar_year_the_person_turns_100() -> None:
    # Born 31 December 1925: written with '+' all through 2025 (folkbokföringslagen 18 §),
    # although the hundredth birthday is after TODAY.
    turning_100 = pnr("19251231", "246")
    assert parse_personnummer(f"251231+{turning_100[8:]}", today=TODAY) == turning_100
    assert parse_personnummer(f"251231-{turning_100[8:]}", today=TODAY) == turning_100


def test_plus_on_a_number_from_this_century_goes_back_two_centuries() -> None:
    # '260101+' cannot be 1926 (99 this year), so it is 1826, a valid if unlikely century.
    number = pnr("18260101", "357")
    assert parse_personnummer(f"260101+{number[8:]}", today=TODAY) == number


def test_the_century_decides_whether_29_february_exists() -> None:
    leap = pnr("20000229", "123")
    assert parse_personnummer(f"000229-{leap[8:]}", today=TODAY) == leap
    with pytest.raises(IdentifierError, match="not a real date"):
        parse_personnummer(f"000229+{leap[8:]}", today=TODAY)  # 1900 was not a leap year


def test_today_is_taken_from_the_caller() -> None:
    number = pnr("20250616", "384")
    short = f"250616-{number[8:]}"
    assert parse_personnummer(short, today=TODAY)[:4] == "1925"
    assert parse_personnummer(short, today=TODAY + timedelta(days=1)) == number


def test_a_birth_date_after_today_is_rejected_in_the_12_digit_form() -> None:
    with pytest.raises(IdentifierError, match="after 20250615"):
        parse_personnummer(pnr("20250616", "384"), today=TODAY)


def test_wrong_check_digit_is_reported_without_repeating_the_number() -> None:
    number = pnr("19811218", "987")
    bad = wrong_check_digit(number)
    with pytest.raises(IdentifierError) as raised:
        parse_personnummer(bad, today=TODAY)
    message = str(raised.value)
    assert message == f"personnummer: check digit is {bad[-1]}, expected {number[-1]}"
    assert bad[2:] not in message and "198112" not in message


@pytest.mark.parametrize(
    "impossible_date",
    ["19990230", "19990229", "19990431", "19991301", "19990001", "19990100", "19990132"],
)
def test_impossible_birth_dates_are_rejected(impossible_date: str) -> None:
    with pytest.raises(IdentifierError, match="not a real date"):
        parse_personnummer(pnr(impossible_date, "123"), today=TODAY)


def test_samordningsnummer_has_the_day_plus_60() -> None:
    number = pnr("19811278", "987")  # born 18 December 1981
    assert parse_personnummer(number, today=TODAY) == number
    assert parse_personnummer(f"811278-{number[8:]}", today=TODAY) == number
    assert is_samordningsnummer(number)
    assert birth_date(number) == date(1981, 12, 18)


@pytest.mark.parametrize(
    ("samordning_date", "born"),
    [
        ("19990161", date(1999, 1, 1)),
        ("19990191", date(1999, 1, 31)),
        ("20000289", date(2000, 2, 29)),
    ],
)
def test_samordningsnummer_day_range_limits(samordning_date: str, born: date) -> None:
    number = pnr(samordning_date, "452")
    assert birth_date(number) == born
    assert is_samordningsnummer(number)


@pytest.mark.parametrize(
    "impossible",
    [
        "19990192",  # day 32
        "19990460",  # day 60 is day 0
        "19990491",  # 31 April
        "19990289",  # 29 February in a common year
        "19990145",  # between the ranges: neither a day nor day + 60
    ],
)
def test_impossible_samordningsnummer_dates_are_rejected(impossible: str) -> None:
    with pytest.raises(IdentifierError, match="not a real date"):
        parse_personnummer(pnr(impossible, "452"), today=TODAY)


def test_century_of_a_samordningsnummer_follows_the_real_birth_date() -> None:
    tomorrow_in_1925 = pnr("19250676", "452")  # 16 June 1925, + 60
    assert parse_personnummer(f"250676-{tomorrow_in_1925[8:]}", today=TODAY) == tomorrow_in_1925


def test_ordinary_personnummer_is_not_a_samordningsnummer() -> None:
    number = pnr("19811218", "987")
    assert not is_samordningsnummer(number)
    assert birth_date(number) == date(1981, 12, 18)
    assert birth_date(number[:8] + "-" + number[8:]) == date(1981, 12, 18)


@pytest.mark.parametrize("century", ["16", "17", "21"])
def test_centuries_other_than_18_19_20_are_rejected(century: str) -> None:
    number = pnr(f"{century}811218", "987")
    with pytest.raises(IdentifierError, match=f"century is {century}, expected 18, 19 or 20"):
        parse_personnummer(number, today=TODAY)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "811218-98",
        "19811218 9876",
        "19811218--9876",
        "19811218+9876",
        "811218/9876",
        "1981121898761",
        "ABCDEF-GHIJ",
        "８１１２１８-９８７６",  # full-width digits
    ],
)
def test_malformed_personnummer_is_rejected(garbage: str) -> None:
    with pytest.raises(IdentifierError, match="personnummer"):
        parse_personnummer(garbage, today=TODAY)


@pytest.mark.parametrize("helper", [birth_date, is_samordningsnummer])
def test_helpers_demand_a_valid_12_digit_number(helper: object) -> None:
    assert callable(helper)
    number = pnr("19811218", "987")
    with pytest.raises(IdentifierError, match="century is required"):
        helper(number[2:])
    with pytest.raises(IdentifierError, match="check digit"):
        helper(wrong_check_digit(number))


@st.composite
def birth_and_number(draw: st.DrawFn) -> tuple[date, str]:
    """A birth date within the 200 years the 10-digit forms can express, and its number."""
    born = draw(st.dates(min_value=date(TODAY.year - 199, 1, 1), max_value=TODAY))
    samordning = draw(st.booleans())
    day = born.day + (60 if samordning else 0)
    birth_number = f"{draw(st.integers(0, 999)):03d}"
    return born, pnr(f"{born:%Y%m}{day:02d}", birth_number)


@given(birth_and_number())
def test_property_valid_numbers_parse_and_parsing_is_idempotent(case: tuple[date, str]) -> None:
    born, number = case
    assert parse_personnummer(number, today=TODAY) == number
    assert parse_personnummer(parse_personnummer(number, today=TODAY), today=TODAY) == number
    assert birth_date(number) == born


@given(birth_and_number())
def test_property_the_10_digit_form_with_the_right_separator_round_trips(
    case: tuple[date, str],
) -> None:
    born, number = case
    separator = "+" if born.year <= TODAY.year - 100 else "-"
    assert parse_personnummer(f"{number[2:8]}{separator}{number[8:]}", today=TODAY) == number


@given(birth_and_number(), st.integers(2, 11), st.integers(1, 9))
def test_property_any_single_wrong_digit_is_caught(
    case: tuple[date, str], position: int, shift: int
) -> None:
    _, number = case
    wrong = str((int(number[position]) + shift) % 10)
    mistyped = number[:position] + wrong + number[position + 1 :]
    with pytest.raises(IdentifierError):
        parse_personnummer(mistyped, today=TODAY)


# --- Pydantic types -------------------------------------------------------------------------


class Finding(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)

    organisation: Organisationsnummer
    person: Personnummer | None = None


def test_event_model_stores_canonical_forms() -> None:
    person = pnr("19811218", "987")
    finding = Finding(organisation="16556036-0793", person=f"{person[:8]}-{person[8:]}")
    assert finding.organisation == SAAB
    assert finding.person == person
    assert Finding.model_validate_json(finding.model_dump_json()) == finding


def test_event_model_requires_the_century_of_a_personnummer() -> None:
    person = pnr("19811218", "987")
    with pytest.raises(ValidationError, match="century is required"):
        Finding(organisation=SAAB, person=person[2:8] + "-" + person[8:])


def test_event_model_rejects_invalid_identifiers_without_echoing_the_personnummer() -> None:
    bad_person = wrong_check_digit(pnr("19811218", "987"))
    with pytest.raises(ValidationError) as raised:
        Finding(organisation="556036-0794", person=bad_person)
    errors = raised.value.errors()
    assert [error["loc"] for error in errors] == [("organisation",), ("person",)]
    assert bad_person not in str(raised.value)


def test_event_model_does_not_coerce_numbers_that_would_lose_leading_digits() -> None:
    with pytest.raises(ValidationError):
        Finding.model_validate({"organisation": 5560360793})


# --- Fastighetsbeteckning -------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "Norrköping Sandgatan 2:14",
        "NORRKÖPING SANDGATAN 2:14",
        "norrköping sandgatan 2:14",
        "  Norrköping   Sandgatan\t2:14 ",
        "Norrköping Sandgatan 2 : 14",
        "Norrköping Sandgatan 2 :14",
        "Norrköping Sandgatan 02:014",
        "Norrköping\u00a0Sandgatan 2:14",  # non-breaking space
        unicodedata.normalize("NFD", "Norrköping Sandgatan 2:14"),  # decomposed ö
    ],
)
def test_fastighetsbeteckning_variants_give_one_key(written: str) -> None:
    parsed = parse_fastighetsbeteckning(written)
    assert parsed == Fastighetsbeteckning(area="Norrköping", name="Sandgatan", block=2, unit=14)
    assert parsed.display == "Norrköping Sandgatan 2:14"
    assert parsed.key == "NORRKÖPING SANDGATAN 2:14"


def test_city_block_designation_has_no_block_number() -> None:
    parsed = parse_fastighetsbeteckning("linköping DRUVAN 7")
    assert (parsed.area, parsed.name, parsed.block, parsed.unit) == ("Linköping", "Druvan", None, 7)
    assert parsed.display == "Linköping Druvan 7"
    assert parsed.key == "LINKÖPING DRUVAN 7"


def test_multi_word_district_names_stay_together() -> None:
    parsed = parse_fastighetsbeteckning("Stockholm Norra Djurgården 1:47")
    assert (parsed.area, parsed.name) == ("Stockholm", "Norra Djurgården")
    assert parsed.key == "STOCKHOLM NORRA DJURGÅRDEN 1:47"


def test_known_areas_take_a_multi_word_registration_area() -> None:
    areas = ["Norrköping", "Upplands Väsby", "Upplands-Bro"]
    parsed = parse_fastighetsbeteckning("UPPLANDS VÄSBY Grimsta 5:1", known_areas=areas)
    assert (parsed.area, parsed.name) == ("Upplands Väsby", "Grimsta")
    assert parsed.display == "Upplands Väsby Grimsta 5:1"
    # Without the list the first word is the area; the key, used for matching, is the same.
    unknown = parse_fastighetsbeteckning("Upplands Väsby Grimsta 5:1")
    assert (unknown.area, unknown.name) == ("Upplands", "Väsby Grimsta")
    assert unknown.key == parsed.key


def test_hyphenated_and_accented_names() -> None:
    parsed = parse_fastighetsbeteckning("upplands-bro brogård 1:5")
    assert parsed.display == "Upplands-Bro Brogård 1:5"
    assert parse_fastighetsbeteckning("Lund Église 3").key == "LUND ÉGLISE 3"


def test_known_area_alone_is_not_a_designation() -> None:
    with pytest.raises(IdentifierError, match="registration area and a name"):
        parse_fastighetsbeteckning("Upplands Väsby 1:2", known_areas={"Upplands Väsby"})


@pytest.mark.parametrize(
    ("written", "complaint"),
    [
        ("", "expected"),
        ("Norrköping Sandgatan", "expected"),
        ("Norrköping Sandgatan 2:", "unit number after ':' is missing"),
        ("Norrköping Sandgatan 2 :", "unit number after ':' is missing"),
        ("Norrköping Sandgatan :14", "expected"),
        ("Norrköping Sandgatan 0:14", "start at 1"),
        ("Norrköping Sandgatan 2:0", "start at 1"),
        ("Linköping Druvan 0", "start at 1"),
        ("Norrköping Sandgatan -2:14", "expected"),
        ("Norrköping Sandgatan 2:-14", "expected"),
        ("Norrköping 2:14", "registration area and a name"),
        ("2:14", "expected"),
        ("Norrköping Sandgatan 2:14:3", "expected"),
        ("Norrköping Sandgatan 2:14 B", "expected"),
        ("Norrköping Sandgatan 2;14", "expected"),
        ("Norrköping Sandgatan; 2:14", "not part of a name"),
        ("Norrköping Sand3gatan 2:14", "not part of a name"),
        ("Norrköping Sandgatan 1 2:14", "not part of a name"),
        ("'; DROP TABLE fastighet; -- 1", "not part of a name"),
    ],
)
def test_malformed_fastighetsbeteckning_is_rejected(written: str, complaint: str) -> None:
    with pytest.raises(IdentifierError, match=re.escape(complaint)):
        parse_fastighetsbeteckning(written)


def test_fastighetsbeteckning_cannot_be_built_with_impossible_numbers() -> None:
    with pytest.raises(IdentifierError):
        Fastighetsbeteckning(area="Norrköping", name="Sandgatan", block=2, unit=0)
    with pytest.raises(IdentifierError):
        Fastighetsbeteckning(area="Norrköping", name="Sandgatan", block=-1, unit=14)
    parsed = parse_fastighetsbeteckning("Norrköping Sandgatan 2:14")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.unit = 15  # type: ignore[misc]


swedish_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäöé", min_size=1, max_size=12)


@given(
    words=st.lists(swedish_word, min_size=2, max_size=4),
    block=st.none() | st.integers(1, 9999),
    unit=st.integers(1, 9999),
    upper=st.booleans(),
    gap=st.sampled_from([" ", "  ", "\t"]),
)
def test_property_display_and_key_parse_back_to_the_same_property(
    words: list[str], block: int | None, unit: int, upper: bool, gap: str
) -> None:
    number = str(unit) if block is None else f"{block}{gap}:{gap}{unit}"
    written = gap.join([*(w.upper() if upper else w for w in words), number])
    parsed = parse_fastighetsbeteckning(written)
    assert (parsed.block, parsed.unit) == (block, unit)
    assert parse_fastighetsbeteckning(parsed.display) == parsed
    assert parse_fastighetsbeteckning(parsed.key) == parsed
    assert parsed.key == " ".join(words).upper() + " " + number.replace(gap, "")


# --- Street addresses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "street", "number", "letter"),
    [
        ("Sandgatan 14 B", "SANDGATAN", 14, "B"),
        ("sandgatan   14b", "SANDGATAN", 14, "B"),
        ("Sandg. 14b", "SANDGATAN", 14, "B"),
        ("Sandg.14 B", "SANDGATAN", 14, "B"),
        ("Sandg 14 B", "SANDGATAN", 14, "B"),
        ("Drottningg 5", "DROTTNINGGATAN", 5, None),
        ("Storg. 1", "STORGATAN", 1, None),
        ("Storg 1", "STORGATAN", 1, None),
        ("Storv. 3", "STORVÄGEN", 3, None),
        ("Lidingöv. 80", "LIDINGÖVÄGEN", 80, None),
        ("S:t Eriksgatan 5", "SANKT ERIKSGATAN", 5, None),
        ("V:a Hamng. 5", "VÄSTRA HAMNGATAN", 5, None),
        ("St:a Nygatan 12 A", "STORA NYGATAN", 12, "A"),
        ("L:a Torget 2", "LILLA TORGET", 2, None),
        ("Sandgatan 14 B lgh 1102", "SANDGATAN", 14, "B"),
        ("Sandgatan 14 B, lgh. 1102", "SANDGATAN", 14, "B"),
        ("Sandgatan 14 B LGH1102", "SANDGATAN", 14, "B"),
        ("Sandgatan 14 B, 2 tr", "SANDGATAN", 14, "B"),
        ("Sandgatan 14 B 3tr lgh 1302", "SANDGATAN", 14, "B"),
        ("c/o Svensson, Sandgatan 14 B", "SANDGATAN", 14, "B"),
        ("1:a Långgatan 5", "1:A LÅNGGATAN", 5, None),
        ("Sandgatan", "SANDGATAN", None, None),
    ],
)
def test_street_abbreviations_and_apartment_parts(
    written: str, street: str, number: int | None, letter: str | None
) -> None:
    address = normalise_address(written)
    assert (address.street, address.number, address.letter) == (street, number, letter)


@pytest.mark.parametrize(
    "word", ["Björkväg", "Skogsstig", "Solberg", "Kornhamnstorg", "Kyrkogårdsgång", "Bergsäng"]
)
def test_words_that_end_in_g_by_themselves_are_not_expanded(word: str) -> None:
    assert normalise_address(f"{word} 3").street == word.upper()


@pytest.mark.parametrize(
    "written", ["602 22", "60222", "SE-602 22", "SE-60222", "se 602 22", "S-602 22", " 602 22 "]
)
def test_postal_code_forms(written: str) -> None:
    assert normalise_address("Sandgatan 14", written).postal_code == "60222"


@pytest.mark.parametrize("written", ["6022", "602 2", "602 222", "012 34", "602-22", "ABCDE"])
def test_malformed_postal_codes_are_rejected(written: str) -> None:
    with pytest.raises(IdentifierError, match="postal code"):
        normalise_address("Sandgatan 14", written)


def test_normalised_address_key() -> None:
    address = normalise_address("Sandg. 14b", "602 22", "norrköping")
    assert address.key == "SANDGATAN 14 B|60222|NORRKÖPING"
    assert address.city == "NORRKÖPING"
    assert normalise_address("Sandgatan 14").key == "SANDGATAN 14||"
    assert normalise_address("Sandgatan 14", "", " ").key == "SANDGATAN 14||"
    assert normalise_address("Sandgatan", city="Upplands  Väsby").key == "SANDGATAN||UPPLANDS VÄSBY"


@pytest.mark.parametrize(
    "written",
    [
        "Sandgatan 14 B, 602 22 Norrköping",
        "Sandgatan 14B 60222 NORRKÖPING",
        "sandg. 14 b, SE-602 22 Norrköping",
        "Sandgatan 14 B, lgh 1102, 602 22 Norrköping",
        "Sandgatan 14 B lgh 1102, 602 22 Norrköping",
        "c/o Svensson, Sandgatan 14 B, 602 22 Norrköping",
        "  Sandgatan 14 B ,  602 22   Norrköping ",
        "Sandgatan 14 B, 602 22, Norrköping",
        unicodedata.normalize("NFD", "Sandgatan 14 B, 602 22 Norrköping"),
    ],
)
def test_one_line_addresses_of_the_same_premises_share_a_key(written: str) -> None:
    assert parse_address(written).key == "SANDGATAN 14 B|60222|NORRKÖPING"


def test_one_line_address_without_postal_code() -> None:
    assert parse_address("Sandgatan 14 B, Norrköping").key == "SANDGATAN 14 B||NORRKÖPING"
    assert parse_address("Sandgatan 14 B").key == "SANDGATAN 14 B||"
    assert parse_address("Drottningg. 5, 194 30 Upplands Väsby").key == (
        "DROTTNINGGATAN 5|19430|UPPLANDS VÄSBY"
    )


@pytest.mark.parametrize(
    ("written", "complaint"),
    [
        ("", "expected"),
        ("   ", "expected"),
        ("14", "expected"),
        ("Sandgatan 0", "start at 1"),
        ("Sandgatan 14-16", "expected"),
        ("Sandgatan 14, Storgatan 3", "expected"),
        ("Box 123, 602 22 Norrköping", "post-office box"),
    ],
)
def test_malformed_addresses_are_rejected(written: str, complaint: str) -> None:
    with pytest.raises(IdentifierError, match=complaint):
        parse_address(written)


def test_city_must_be_a_place_name() -> None:
    with pytest.raises(IdentifierError, match="city"):
        normalise_address("Sandgatan 14", "602 22", "Norrköping 2")


@given(
    name=st.text(alphabet="abcdefhijklmnopqrstuwxyzåäö", min_size=2, max_size=12),
    number=st.integers(1, 999),
    letter=st.none() | st.sampled_from("ABCDEFGH"),
    lower=st.booleans(),
)
def test_property_the_key_is_stable_under_its_own_normalisation(
    name: str, number: int, letter: str | None, lower: bool
) -> None:
    written = f"{name}gatan {number}{letter or ''}"
    address = normalise_address(written.lower() if lower else written.upper(), "60222", "Ort")
    assert address.key == f"{name.upper()}GATAN {number}{' ' + letter if letter else ''}|60222|ORT"
    assert parse_address(address.key.replace("|", ", ")) == address


# --- Pseudonyms -----------------------------------------------------------------------------


def test_pseudonym_is_a_keyed_hmac_of_the_canonical_number() -> None:
    number = pnr("19811218", "987")
    expected = hmac.new(KEY, number.encode("ascii"), hashlib.sha256).hexdigest()
    assert pseudonymise(number, KEY) == f"psn:k1:{expected}"
    assert pseudonymise(f"{number[:8]}-{number[8:]}", KEY) == f"psn:k1:{expected}"
    assert re.fullmatch(r"psn:k1:[0-9a-f]{64}", pseudonymise(number, KEY))


def test_pseudonym_is_deterministic_and_does_not_contain_the_number() -> None:
    number = pnr("19811218", "987")
    assert pseudonymise(number, KEY) == pseudonymise(number, KEY)
    assert number[2:] not in pseudonymise(number, KEY)


def test_different_keys_or_numbers_give_different_pseudonyms() -> None:
    number = pnr("19811218", "987")
    neighbour = pnr("19811218", "989")
    assert pseudonymise(number, KEY) != pseudonymise(number, OTHER_KEY)
    assert pseudonymise(number, KEY) != pseudonymise(neighbour, KEY)


def test_key_id_names_the_key_in_the_pseudonym() -> None:
    number = pnr("19811218", "987")
    assert pseudonymise(number, KEY, key_id="2025-q3").startswith("psn:2025-q3:")


@pytest.mark.parametrize("key_id", ["", "a:b", "k 1", "x" * 33])
def test_key_ids_that_would_break_the_format_are_rejected(key_id: str) -> None:
    with pytest.raises(ValueError, match="key id"):
        pseudonymise(pnr("19811218", "987"), KEY, key_id=key_id)


@pytest.mark.parametrize("length", [0, 16, 31])
def test_keys_shorter_than_32_bytes_are_rejected(length: int) -> None:
    with pytest.raises(ValueError, match="at least 32"):
        pseudonymise(pnr("19811218", "987"), KEY[:length])


def test_pseudonymise_only_takes_a_valid_12_digit_number() -> None:
    number = pnr("19811218", "987")
    with pytest.raises(IdentifierError, match="century is required"):
        pseudonymise(number[2:], KEY)
    with pytest.raises(IdentifierError, match="check digit"):
        pseudonymise(wrong_check_digit(number), KEY)
