"""Issue 9, finding 7: usernames by PRECIS and UTS #39, measured against a naive mixed-script check.

The flows (look-alikes beside an existing user, Japanese names signing up and in, quoted addresses) run
over HTTP in tests/registration/test_signup_flow.py; this module holds the measurements and the tables.
"""

from __future__ import annotations

import json
import unicodedata
from importlib import resources

import precis_i18n
import pytest
import unicodedataplus
from confusable_homoglyphs import confusables

from api.policy.addresses import parse_email
from api.policy.model import Policy
from api.policy.scripts import LOOKALIKES, RECOMMENDED, lookalike_problem
from api.policy.username import normalize_username, username_problem

# Usernames Japanese people pick: kanji, hiragana and katakana together, with Latin letters, digits and
# the punctuation usernames take. 45 of them; README.md ("Usernames") gives the figures measured here.
JAPANESE = (
    "山田太郎",
    "やまだ",
    "ヤマダ",
    "yamada_太郎",
    "田中さくら",
    "佐藤ゆい",
    "鈴木一郎",
    "すずき",
    "スズキ",
    "高橋ひろし",
    "伊藤まゆみ",
    "渡辺ケンジ",
    "小林あおい",
    "加藤ゆうと",
    "吉田はるか",
    "山本さん",
    "中村ユウキ",
    "松本の旅",
    "井上かな",
    "木村タクヤ",
    "林ちひろ",
    "清水ショウ",
    "山崎みどり",
    "森アキラ",
    "池田りょう",
    "橋本マリ",
    "石川さゆり",
    "前田あつこ",
    "藤田ケイ",
    "岡田ゆか",
    "後藤まこと",
    "ゆうき2001",
    "sakura_さくら",
    "taro.山田",
    "ken_ケン",
    "hana-花子",
    "たろう_taro",
    "まいこ.maiko",
    "リナ_rina",
    "user_ユーザー",
    "ゲーマー太郎",
    "ねこ好き",
    "コーヒー党",
    "東京タワー",
    "おにぎり99",
)
LOOK_ALIKES = {
    "Cyrillic i in Latin": "v\u0456ctor",
    "Greek omicron in Latin": "vict\u03bfr",
    "Armenian oh in Latin": "vict\u0585r",
    "dotless i": "v\u0131ctor",
    "i with a combining dot (what U+0130 lower-cases to)": "vi\u0307ctor",
    "combining low line": "v\u0332ictor",
    "small capitals": "\u1d20\u026a\u1d04\u1d1b\u1d0f\u0280",
    "Cyrillic letters that spell a Latin word": "\u0430\u0441\u0435",
    "Cherokee, outside the Recommended scripts": "\u13a0\u13a1\u13a2",
}
BASE = {"version": 1, "display_name": "T", "cognito": {"user_pool": "t"}}
PLAIN = Policy.model_validate(BASE)
CASE_SENSITIVE = Policy.model_validate({**BASE, "username": {"case_sensitive": True}})
EMAIL = Policy.model_validate({**BASE, "username": {"kind": "email"}})
EMAIL_CASE_SENSITIVE = Policy.model_validate({**BASE, "username": {"kind": "email", "case_sensitive": True}})


def new_name(policy: Policy, raw: str) -> str | None:
    """Why `raw` cannot name a new account, as the engine sees it (normalised first)."""
    return username_problem(policy, normalize_username(policy, raw))


def test_japanese_names_pass_where_a_naive_mixed_script_check_refuses_most() -> None:
    assert len(set(JAPANESE)) == 45
    assert [name for name in JAPANESE if new_name(PLAIN, name) is not None] == []
    assert all(normalize_username(PLAIN, name) == name for name in JAPANESE)
    naive = [name for name in JAPANESE if confusables.is_mixed_script(name)]
    dangerous = [name for name in JAPANESE if confusables.is_dangerous(name)]
    assert (len(naive), len(dangerous)) == (37, 27)


@pytest.mark.parametrize("name", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
def test_look_alikes_are_refused(name: str) -> None:
    for policy in (PLAIN, CASE_SENSITIVE):
        assert new_name(policy, name) is not None
    assert new_name(EMAIL, f"{name}@shop.example") is not None


def test_what_the_naive_check_lets_through_is_refused_too() -> None:
    """Single-script look-alikes have one script: counting scripts cannot see them."""
    single = [LOOK_ALIKES[k] for k in ("dotless i", "small capitals", "Cyrillic letters that spell a Latin word")]
    assert not any(confusables.is_mixed_script(name) for name in single)
    assert all(lookalike_problem(name) is not None for name in single)


@pytest.mark.parametrize(
    "name",
    [
        "alice",
        "Zoë",
        "José",
        "Straße",
        "сергей",
        "ελένη",
        "김민준",
        "kim_민준",
        "王小明",
        "wang.小明",
        "राम",
        "דוד",
        "علي",
    ],
)
def test_ordinary_names_of_many_scripts_pass(name: str) -> None:
    assert new_name(PLAIN, name) is None


def test_full_width_and_capital_spellings_map_to_one_account() -> None:
    for raw in ("\uff36\uff49\uff43", "VIC", "  vic "):
        assert normalize_username(PLAIN, raw) == "vic"
    assert normalize_username(CASE_SENSITIVE, "\uff36\uff49\uff43") == "Vic"
    assert normalize_username(EMAIL, "\uff36ic@SHOP\uff0eExample") == "vic@shop.example"
    assert normalize_username(EMAIL_CASE_SENSITIVE, "Vic@SHOP.Example") == "Vic@shop.example"


@pytest.mark.parametrize(
    "address",
    [
        '"vic"@shop.example',
        "vic(x)@shop.example",
        "vic@shop.example(x)",
        "Vic <vic@shop.example>",
        "vic@[192.0.2.1]",
        "vic@localhost",
        "vic@shop.test",
        "vic..x@shop.example",
        f"{'v' * 65}@shop.example",
        "vic\n@shop.example",
    ],
)
def test_addresses_are_parsed_strictly(address: str) -> None:
    assert parse_email(address) is None
    assert new_name(EMAIL, address) is not None


def test_a_long_address_gets_the_e_mail_message() -> None:
    long = f"{'x' * 60}@{'d' * 63}.{'e' * 63}.example"
    assert len(long) == 196
    assert parse_email(long) is not None
    assert new_name(EMAIL, long) == "Use an e-mail address of at most 128 characters."
    assert new_name(EMAIL, "not an address") == "Enter a valid e-mail address."
    assert new_name(PLAIN, "x" * 129) == "Use 1 to 128 letters, digits or punctuation, without spaces."


def before_precis(policy: Policy, raw: str) -> str:
    """How regapi spelt every username before PRECIS (the code this replaced, kept here to compare)."""
    value = unicodedata.normalize("NFKC", raw).strip()
    if not policy.username.case_sensitive:
        return value.lower()
    if policy.username.kind == "email":
        local, at, domain = value.rpartition("@")
        if at:
            return f"{local}@{domain.lower()}"
    return value


# Code points where the spellings could part: Latin, Greek, Cyrillic, Cherokee, the compatibility and
# width forms, and a sample of everything else. (An exhaustive run over every assigned code point, alone,
# after a letter, and in both halves of an address, also found no difference; it takes a minute.)
TRICKY = "\u0130\u0131\u0345\u03a3\u1e9e\u00df\u2126\u212a\u13a0\uab70\uff76\uff9e\ufb01\u3099\u0307\u1100\u1161"
SAMPLE = sorted(
    {chr(c) for c in range(0x20, 0x590)}
    | {chr(c) for c in range(0x13A0, 0x1400)}
    | {chr(c) for c in range(0xFF00, 0xFFF0)}
    | {chr(c) for c in range(0x590, 0x30000, 31)}
    | set(TRICKY)
)


@pytest.mark.parametrize(
    "policy", [PLAIN, CASE_SENSITIVE, EMAIL, EMAIL_CASE_SENSITIVE], ids=["plain", "case", "email", "email-case"]
)
def test_no_stored_username_changes_spelling(policy: Policy) -> None:
    """Existing users keep signing in: what they type is spelt as before, for PRECIS and for the rest."""
    email = policy.username.kind == "email"
    changed = []
    for char in SAMPLE:
        for raw in (f"a{char}@x{char}.example",) if email else (char, f"a{char}", f"V{char}c"):
            if normalize_username(policy, raw) != before_precis(policy, raw):
                changed.append(raw)
    assert changed == []


@pytest.mark.parametrize(
    ("policy", "profile"), [(PLAIN, "UsernameCaseMapped"), (CASE_SENSITIVE, "UsernameCasePreserved")]
)
def test_ascii_names_are_taken_as_precis_takes_them(policy: Policy, profile: str) -> None:
    """ASCII skips PRECIS's per-character lookups; it must come out as PRECIS has it. Plain ASCII names are
    unchanged by PRECIS but for lower case, so no stored ASCII username is spelt differently."""
    precis = precis_i18n.get_profile(profile)
    for code in range(0x80):
        raw = f"a{chr(code)}Z"
        try:
            expected = precis.enforce(raw)
        except UnicodeError:
            expected = None
        normalised = normalize_username(policy, raw)
        assert (username_problem(policy, normalised) is None) == (expected is not None), repr(raw)
        if expected is not None:
            assert normalised == expected == (raw if policy.username.case_sensitive else raw.lower())


def test_the_look_alike_table_is_unicode_s() -> None:
    """api/policy/scripts.py's table, derived again from confusables.txt (confusable-homoglyphs' copy)."""
    data = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    preserved = precis_i18n.get_profile("UsernameCasePreserved")

    def accepted(char: str) -> bool:
        try:
            return bool(preserved.enforce(char) == char)
        except UnicodeError:
            return False

    derived = {
        char
        for char, homoglyphs in data.items()
        if len(char) == 1
        and not char.isascii()
        and accepted(char)
        and set(unicodedataplus.script_extensions(char)) & RECOMMENDED
        and any(len(h["c"]) == 1 and h["c"].isascii() and h["c"].isalnum() for h in homoglyphs)
    }
    assert derived == LOOKALIKES


def test_one_domain_has_one_spelling_for_new_accounts() -> None:
    """The punycode form of a label and the ideographic full stops name the same mailbox as the
    Unicode form and ".": new accounts take only the latter."""
    from api.policy.addresses import parse_email  # noqa: PLC0415

    assert parse_email("vic@bücher.example") is not None
    assert parse_email("vic@shop.example") is not None
    for other in ("vic@xn--bcher-kva.example", "vic@shop\u3002example", "vic@shop\uff61example"):
        assert parse_email(other) is None, other
