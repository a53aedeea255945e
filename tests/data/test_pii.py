"""PII tagging: every detector positive and negative, by name and by values; masking."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
import pytest

from mlsteward.data import pii
from mlsteward.data.pii import (
    PII_DETECTORS,
    Detector,
    PiiReport,
    detect_pii,
    luhn_valid,
    mask_columns,
    normalise_column_name,
    register_detector,
)
from mlsteward.errors import InvalidInput

# Published test card numbers (they pass the Luhn check) and near-misses that do not.
VALID_CARDS = [
    "4111111111111111",  # Visa
    "4012888888881881",  # Visa
    "4222222222222",  # Visa, 13 digits
    "5555555555554444",  # Mastercard
    "5105105105105100",  # Mastercard
    "378282246310005",  # American Express, 15 digits
    "6011111111111117",  # Discover
    "3530111333300000",  # JCB
    "30569309025904",  # Diners Club, 14 digits
    "4111 1111 1111 1111",  # grouped with spaces
    "5555-5555-5555-4444",  # grouped with dashes
    "3782 822463 10005",  # Amex grouping
]
INVALID_CARDS = [
    "4111111111111112",
    "4012888888881882",
    "5555555555554440",
    "1234567812345678",
    "378282246310006",
    "6011111111111118",
    "4111 1111 1111 1112",
    "0000000000000000",  # passes Luhn, but no card number starts with 0
    "411111111111",  # 12 digits: too short
    "41111111111111111111",  # 20 digits: too long
]

EMAILS = ["ada.lovelace@example.com", "bob+news@mail.example.co.uk", "c.d_e-f@sub.domain.io",
          "first.last@university.edu", "x1@y2.org", "o'neil@example.ie"]
PHONES = ["+14155552671", "+44 20 7946 0958", "+1 (415) 555-2671", "(415) 555-2671", "415-555-2671",
          "415.555.2671", "020 7946 0958", "07700 900123", "06 12 34 56 78", "0612345678", "+33 6 12 34 56 78"]
NATIONAL_IDS = ["078-05-1120", "123-45-6789", "219-09-9999", "AB 12 34 56 C", "JG103759A", "ce 12 34 56 a".upper()]
IPS = ["192.168.0.1", "10.0.0.255", "8.8.8.8", "2001:db8::1", "::1", "fe80::1ff:fe23:4567:890a",
       "2001:0db8:85a3:0000:0000:8a2e:0370:7334"]
NAMES = ["Ada Lovelace", "Grace Hopper", "Mary O'Brien", "Jean-Luc Picard", "John F. Kennedy", "Smith, John",
         "Ronald McDonald", "José García", "Zoë Saldaña", "Alan Mathison Turing"]


def tags(df: pd.DataFrame, **kwargs) -> dict[str, list[str]]:
    return detect_pii(df, **kwargs).tagged()


def one_column(values: list, name: str = "col_a") -> pd.DataFrame:
    return pd.DataFrame({name: values})


# --- each detector, by values -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("detector", "values"),
    [("email", EMAILS), ("phone", PHONES), ("card_number", VALID_CARDS), ("national_id", NATIONAL_IDS),
     ("ip_address", IPS), ("person_name", NAMES)],
)
def test_each_detector_finds_its_values_under_a_neutral_name(detector: str, values: list[str]) -> None:
    report = detect_pii(one_column(values))
    column = report.column("col_a")
    assert column.detectors == [detector]
    tag = column.tags[0]
    assert tag.confidence == "values"
    assert tag.name_matched is False
    assert tag.matched_share == 1.0
    assert tag.evidence.startswith(f"100% of {len(values)} sampled non-null values match")


@pytest.mark.parametrize(
    ("detector", "values"),
    [
        ("email", ["ada.lovelace@", "@example.com", "ada lovelace@example.com", "ada@example", "ada@@example.com",
                   "ada@example.c", "mailto ada"]),
        ("phone", ["2024-01-15", "15.01.2024", "01-15-2024", "555-2671", "12345", "4155552671", "+1", "1.5",
                   "192.168.0.1", "123-45-6789", "4111 1111 1111 1111", "02139-4307"]),
        ("card_number", INVALID_CARDS),
        ("national_id", ["000-12-3456", "666-12-3456", "900-12-3456", "123-00-6789", "123-45-0000", "123456789",
                         "QQ 12 34 56 C", "DA 12 34 56 C", "AO 12 34 56 C", "GB 12 34 56 C", "AB 12 34 56 E"]),
        ("ip_address", ["256.1.1.1", "1.2.3", "1.2.3.4.5", "10:30", "10:30:00", "3.14", "2001:db8:::1", "abc.def",
                        "01.02.03.04"]),
        ("person_name", ["ada lovelace", "ADA LOVELACE", "Ada", "Ada Lovelace Byron King", "Ada 1 Lovelace",
                         "Ada  Lovelace", "Mr", "X Y"]),
    ],
)
def test_each_detector_ignores_lookalikes(detector: str, values: list[str]) -> None:
    for value in values:  # one at a time: a single false match would be a 100% share
        column = detect_pii(one_column([value])).column("col_a")
        assert detector not in column.detectors, value


def test_card_numbers_stored_as_integers_are_found() -> None:
    cards = pd.Series([4111111111111111, 5555555555554444, 6011111111111117, None], dtype="Int64")
    assert tags(pd.DataFrame({"x": cards})) == {"x": ["card_number"]}
    # An integer column that went through float because of missing values is read as integers.
    as_float = pd.DataFrame({"x": [4111111111111111.0, 4012888888881881.0, np.nan]})
    assert tags(as_float) == {"x": ["card_number"]}


def test_luhn_matches_a_hand_written_reference() -> None:
    def reference(number: str) -> bool:  # the textbook algorithm, one digit at a time
        total = 0
        for position, char in enumerate(reversed(number)):
            digit = int(char)
            if position % 2 == 1:
                digit *= 2
                if digit > 9:
                    digit -= 9
            total += digit
        return total % 10 == 0

    rng = np.random.default_rng(7)
    numbers = ["".join(map(str, rng.integers(0, 10, size=length))) for length in rng.integers(1, 20, size=2000)]
    numbers += [card.replace(" ", "").replace("-", "") for card in VALID_CARDS]
    expected = np.array([reference(number) for number in numbers])
    np.testing.assert_array_equal(luhn_valid(numbers), expected)
    assert expected.sum() > 150  # the random numbers hold both valid and invalid ones
    assert luhn_valid([]).shape == (0,)


# --- things that are not PII ----------------------------------------------------------------------


def test_everyday_columns_are_not_flagged() -> None:
    rng = np.random.default_rng(0)
    n = 500
    df = pd.DataFrame({
        "age": rng.integers(18, 90, n),
        "year": rng.integers(1950, 2025, n),
        "zip_code": [f"{z:05d}" for z in rng.integers(501, 99950, n)],
        "zip_plus4": [f"{z:05d}-{p:04d}" for z, p in zip(rng.integers(501, 99950, n), rng.integers(0, 9999, n),
                                                           strict=True)],
        "price": rng.uniform(1, 500, n).round(2),
        "quantity": rng.integers(1, 10, n).astype(float),
        "order_total_cents": rng.integers(100, 10**7, n),
        "created": pd.date_range("2024-01-01", periods=n, freq="h"),
        "order_date": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "is_mobile": rng.integers(0, 2, n).astype(bool),
        "email_sent": rng.integers(0, 2, n).astype(bool),
        "email_count": rng.integers(0, 5, n),
        "phone_calls": rng.integers(0, 5, n),
        "file_name": [f"report_{i}.csv" for i in range(n)],
        "product_name": rng.choice(["Blue Widget", "Red Widget", "Green Gadget"], n),
        "plan": rng.choice(["Gold Member", "Silver Member", "Basic"], n),
        "username": [f"user{i}" for i in range(n)],
        "version": rng.choice(["1.2.3", "2.0.1", "10.4.0"], n),
        "ratio": rng.normal(size=n),
        "account_number": rng.integers(10**15, 10**16, n),  # 16-digit integers: about 10% pass Luhn by chance
    })
    assert tags(df) == {}


def test_columns_that_cannot_hold_identifiers_are_not_examined() -> None:
    df = pd.DataFrame({"email": [0.5, 1.5], "phone": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                       "name": [True, False]})
    report = detect_pii(df)
    assert report.tagged() == {}
    assert [column.examined for column in report.columns] == [False, False, False]
    assert "non-integral" in report.column("email").note


# --- by name, by values, both ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "detector"),
    [("email", "email"), ("E-mail", "email"), ("CustomerEmailAddress", "email"), ("contact_email_2", "email"),
     ("phone", "phone"), ("PhoneNumber", "phone"), ("mobile_no", "phone"), ("tel", "phone"), ("fax", "phone"),
     ("credit_card_number", "card_number"), ("CardNumber", "card_number"), ("cc_num", "card_number"),
     ("ssn", "national_id"), ("SSN", "national_id"), ("national_insurance_number", "national_id"),
     ("NINO", "national_id"), ("passport_number", "national_id"),
     ("ip", "ip_address"), ("IPAddress", "ip_address"), ("client_ip", "ip_address"), ("ipv6", "ip_address"),
     ("remote_addr", "ip_address"),
     ("name", "person_name"), ("first_name", "person_name"), ("FirstName", "person_name"), ("surname", "person_name"),
     ("full_name", "person_name"), ("customer_name", "person_name"), ("last_name", "person_name")],
)
def test_name_only_detection(column: str, detector: str) -> None:
    df = pd.DataFrame({column: ["n/a", "unknown", "-", "?"]})  # values say nothing
    found = detect_pii(df).column(column)
    assert found.detectors == [detector]
    assert found.tags[0].confidence == "name"
    assert found.tags[0].evidence.startswith(f"name '{column}' matches '{detector}'; 0% of 4 sampled")


@pytest.mark.parametrize("column", ["zip", "hostname", "file_name", "product_name", "username", "email_sent_at",
                                    "phone_count", "cardinality", "ship_date", "tips", "keyword", "identity_score"])
def test_names_that_only_look_alike_are_not_matched(column: str) -> None:
    assert all(not detector.matches_name(column) for detector in PII_DETECTORS.values()), column


def test_name_with_no_values_and_phone_numbers_stored_as_integers() -> None:
    df = pd.DataFrame({"customer_email": [None, None], "phone": [4155552671, 2079460958]})
    report = detect_pii(df)
    email = report.column("customer_email").tags[0]
    assert (email.confidence, email.matched_share) == ("name", None)
    assert email.evidence == "name 'customer_email' matches 'email'; no non-null values to sample"
    phone = report.column("phone").tags[0]  # integers are never phone numbers by value, only by name
    assert (phone.detector, phone.confidence, phone.matched_share) == ("phone", "name", 0.0)


def test_name_and_values_agree() -> None:
    tag = detect_pii(pd.DataFrame({"email": EMAILS + [None]})).column("email").tags[0]
    assert tag.confidence == "name_and_values"
    assert tag.evidence == f"name 'email' matches 'email'; 100% of {len(EMAILS)} sampled non-null values match"


def test_mixed_column_below_min_share_is_not_flagged() -> None:
    values = EMAILS[:4] * 7 + ["n/a"] * 12  # 28 of 40 = 70%
    df = one_column(values)
    assert tags(df) == {}
    assert tags(df, min_share=0.7) == {"col_a": ["email"]}
    tag = detect_pii(df, min_share=0.7).column("col_a").tags[0]
    assert tag.matched_share == pytest.approx(0.7)
    # Under a PII name the column is still tagged, and the evidence says the values fell short.
    named = detect_pii(one_column(values, "email")).column("email").tags[0]
    assert named.confidence == "name"
    assert named.evidence == ("name 'email' matches 'email'; "
                              "70% of 40 sampled non-null values match, below the 80% required")


def test_repeated_two_word_labels_are_not_names() -> None:
    labels = ["Gold Member", "Silver Member", "Bronze Member"] * 10
    assert tags(one_column(labels)) == {}
    tag = detect_pii(one_column(labels, "holder_name")).column("holder_name").tags[0]
    assert tag.confidence == "name"  # by name only: 10% of the matching values are distinct, 50% required
    assert "10% of the matching values are distinct (50% required)" in tag.evidence


def test_several_detectors_can_tag_one_column() -> None:
    df = one_column(EMAILS * 5 + PHONES * 5, "contact")
    assert tags(df, min_share=0.3) == {"contact": ["email", "phone"]}


# --- sampling -------------------------------------------------------------------------------------


def test_sampling_is_deterministic_and_seeded() -> None:
    rng = np.random.default_rng(3)
    n = 20_000
    values = np.where(rng.random(n) < 0.85, rng.choice(EMAILS, n), "not an address")
    values = pd.Series(values, dtype=object)
    values[rng.random(n) < 0.1] = None
    df = pd.DataFrame({"contact": values})
    first, again = detect_pii(df, seed=11), detect_pii(df, seed=11)
    assert first == again
    tag = first.column("contact").tags[0]
    assert first.column("contact").sampled == 1000
    # Independent recomputation of the sampled share: pandas' own seeded sample of the non-null values.
    sample = df["contact"].dropna().sample(n=1000, random_state=11)
    expected = sample.map(lambda value: bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", value))).mean()
    assert tag.matched_share == pytest.approx(expected)
    assert tag.evidence == f"{expected:.0%} of 1,000 sampled non-null values match"
    shares = {detect_pii(df, seed=seed).column("contact").tags[0].matched_share for seed in range(5)}
    assert len(shares) > 1  # other seeds draw other samples


def test_small_columns_are_read_whole() -> None:
    report = detect_pii(one_column(EMAILS), sample_size=3)
    assert report.column("col_a").sampled == 3
    assert detect_pii(one_column(EMAILS)).column("col_a").sampled == len(EMAILS)


# --- the registry and the boundary ----------------------------------------------------------------


def test_builtin_detectors_are_registered_by_name() -> None:
    assert sorted(PII_DETECTORS) == ["card_number", "email", "ip_address", "national_id", "person_name", "phone"]
    assert detect_pii(one_column(EMAILS)).detectors == list(PII_DETECTORS)


def test_register_a_detector_and_select_detectors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pii, "PII_DETECTORS", dict(PII_DETECTORS))
    iban = re.compile(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?")
    detector = Detector(name="iban", description="bank account numbers (IBAN)",
                        name_pattern=re.compile(r"(?:[a-z0-9]+_)*iban"),
                        value_test=lambda values: values.str.fullmatch(iban).to_numpy(dtype=bool))
    assert register_detector(detector) is detector
    df = pd.DataFrame({"acct": ["GB82 WEST 1234 5698 7654 32", "DE89 3704 0044 0532 0130 00"], "email": EMAILS[:2]})
    assert detect_pii(df).tagged() == {"acct": ["iban"], "email": ["email"]}
    assert detect_pii(df, detectors=["iban"]).tagged() == {"acct": ["iban"]}
    with pytest.raises(ValueError, match="already registered"):
        register_detector(Detector(name="iban", description="other", name_pattern=re.compile("x")))
    with pytest.raises(ValueError, match="name_pattern, a value_test or both"):
        register_detector(Detector(name="nothing", description="nothing"))


def test_invalid_arguments_say_what_to_do() -> None:
    df = one_column(EMAILS)
    with pytest.raises(InvalidInput, match="unknown PII detector 'emial'; did you mean 'email'"):
        detect_pii(df, detectors=["emial"])
    with pytest.raises(InvalidInput, match="'min_share' parameter of detect_pii must be a share in \\(0, 1\\]"):
        detect_pii(df, min_share=80)
    with pytest.raises(InvalidInput, match="'sample_size' parameter of detect_pii must be a positive integer"):
        detect_pii(df, sample_size=0)
    with pytest.raises(InvalidInput, match="needs a pandas DataFrame"):
        detect_pii(EMAILS)  # type: ignore[arg-type]


def test_normalised_column_names() -> None:
    assert normalise_column_name("CustomerEmail") == "customer_email"
    assert normalise_column_name("IPAddress") == "ip_address"
    assert normalise_column_name("e-mail ") == "e_mail"
    assert normalise_column_name(3) == "3"


def test_report_round_trips_as_json() -> None:
    report = detect_pii(pd.DataFrame({"email": EMAILS, "who": NAMES[:6]}))
    assert PiiReport.model_validate_json(report.model_dump_json()) == report


# --- masking --------------------------------------------------------------------------------------


@pytest.fixture
def people() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": [1, 2, 3, 4],
        "email": ["ada@example.com", "grace@example.com", None, "ada@example.com"],
        "card": [4111111111111111, 5555555555554444, 6011111111111117, 378282246310005],
        "sex": ["F", "F", "M", "F"],
        "full_name": ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Ada Lovelace"],
        "spend": [10.5, 20.0, 7.25, 1.0],
    })


def test_mask_by_hash_matches_hashlib(people: pd.DataFrame) -> None:
    before = people.copy()
    report = detect_pii(people)
    assert report.tagged() == {"email": ["email"], "card": ["card_number"], "full_name": ["person_name"]}
    masked = mask_columns(people, report, method="hash", salt="pepper")
    pd.testing.assert_frame_equal(people, before)  # the input is untouched
    assert masked is not people
    assert list(masked.columns) == list(people.columns)

    def sha(text: str) -> str:
        return hashlib.sha256(("pepper" + text).encode("utf-8")).hexdigest()

    ada, grace = sha("ada@example.com"), sha("grace@example.com")
    assert masked["email"].tolist() == [ada, grace, None, ada]
    assert masked["card"].tolist() == [sha(str(card)) for card in people["card"]]
    assert masked["full_name"].iloc[2] == sha("Alan Turing")
    assert masked["email"].iloc[0] == masked["email"].iloc[3]  # stable: equal values, equal digests
    for column in ("customer_id", "sex", "spend"):
        pd.testing.assert_series_equal(masked[column], people[column])
    other = mask_columns(people, report, salt="salt")
    assert other["email"].iloc[0] != masked["email"].iloc[0]


def test_mask_by_drop_and_keep(people: pd.DataFrame) -> None:
    tagged = {"email": ["email"], "full_name": ["person_name"], "sex": ["declared"], "spend": []}
    dropped = mask_columns(people, tagged, method="drop")
    assert list(dropped.columns) == ["customer_id", "card", "spend"]
    kept = mask_columns(people, tagged, method="drop", keep={"sex"})
    assert list(kept.columns) == ["customer_id", "card", "sex", "spend"]
    hashed = mask_columns(people, tagged, salt="s", keep={"sex", "full_name"})
    pd.testing.assert_series_equal(hashed["sex"], people["sex"])
    pd.testing.assert_series_equal(hashed["full_name"], people["full_name"])
    assert hashed["email"].iloc[1] == hashlib.sha256(b"sgrace@example.com").hexdigest()


def test_mask_rejects_bad_arguments(people: pd.DataFrame) -> None:
    with pytest.raises(InvalidInput, match="'method' parameter of mask_columns must be 'hash' or 'drop'"):
        mask_columns(people, {"email": ["email"]}, method="encrypt", salt="s")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="needs a non-empty 'salt'"):
        mask_columns(people, {"email": ["email"]})
    with pytest.raises(InvalidInput, match="'e_mail' not in the data frame; available columns: customer_id, email"):
        mask_columns(people, {"e_mail": ["email"]}, salt="s")
