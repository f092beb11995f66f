"""The rules that keep numbers which are not PII out of the scrub."""
import pytest

from webcorpus.stages.pii import validate


def _reason(entity: str, sentence: str, value: str):
    start = sentence.index(value)
    return validate.reject_reason(entity, sentence, start, start + len(value))


@pytest.mark.parametrize(
    "sentence, value",
    [
        ("Published 2019-10-12 17:30 by the desk.", "2019-10-12 17"),
        ("Released on 12.10.2019, it sold well.", "12.10.2019"),
        ("ISBN 0-670-83298-7 .", "0-670-83298-7"),
        ("see Bug 1681512 for details", "1681512"),
        ("doi : 10.1073/pnas.0801507105 .", "0801507105"),
        ("upgrade to version 10.0.19041.1234 now", "10.0.19041.1234"),
        ("the value was 3.4114080550460080 in the table", "4114080550460080"),
        ("between 1642–1772 the colony", "1642–1772"),
        ("during 2002-2006 housing boomed", "2002-2006"),
        ("Price: $1 234 567 for the lot", "1 234 567"),
        ("Order #123456789 has shipped", "123456789"),
        ("Martin Truex Jr. 5035 7 0 15 24 3", "5035 7 0 15 24"),
        ("Rockledge 14 11 6 15 — 44", "14 11 6 15 — 44"),
        ("THE HOME DEPOT INC. 225.86 -12.99 -5.44%", "225.86 -12.99 -5.44"),
        ("at 40.712776, -74.005974 the", "712776"),
        ("Lung Cancer. 2013. 80(3):249-55.", "2013. 80(3"),
        ("population 4 567 890 in total", "4 567 890"),
    ],
)
def test_numbers_that_are_not_phone_numbers(sentence, value):
    assert _reason("PHONE_NUMBER", sentence, value) is not None


@pytest.mark.parametrize(
    "sentence, value",
    [
        ("please call (212) 560 – 6928", "(212) 560 – 6928"),
        ("Inquiry\n02-751-1500", "02-751-1500"),
        ("Signal: 347-966-3806. WIRED", "347-966-3806"),
        ("Desk: +41 (0)96 471 07 95\n", "+41 (0)96 471 07 95"),
        ("Fax: 345-899-3560x4587\n", "345-899-3560x4587"),
        ("Can someone call me on 01.84.17.61.18? I", "01.84.17.61.18"),
        ("Phone: 0490 75 40 81", "0490 75 40 81"),
        ("Fax: 9498777106", "9498777106"),
    ],
)
def test_phone_numbers_pass(sentence, value):
    assert _reason("PHONE_NUMBER", sentence, value) is None


def test_cards_need_a_checksum_and_card_separators():
    assert _reason("CREDIT_CARD", "card 4539 1488 0343 6467 ok", "4539 1488 0343 6467") is None
    assert _reason("CREDIT_CARD", "card 4539 1488 0343 6468 ok", "4539 1488 0343 6468") == "checksum"
    assert _reason("CREDIT_CARD", "x 7.4155403348178215 y", "7.4155403348178215") is not None
    assert _reason("CREDIT_CARD", "card 4111 1111 1111 1111", "4111 1111 1111 1111") == "fictional"


def test_ssn_bare_digits_need_context():
    assert _reason("US_SSN", "My SSN: 536228761.", "536228761") is None
    assert _reason("US_SSN", "Ticket 536228761 closed", "536228761") is not None
    assert _reason("US_SSN", "file 536-22-8761 here", "536-22-8761") is None


def test_ip_addresses():
    assert _reason("IP_ADDRESS", "from 84.17.46.2.", "84.17.46.2") is None
    assert _reason("IP_ADDRESS", "router at 192.168.1.1 now", "192.168.1.1") == "not_public"
    assert _reason("IP_ADDRESS", "router at 192.168.1.1 now", "192.168.1.1") == "not_public"
    assert validate.reject_reason("IP_ADDRESS", "at 192.168.1.1 now", 3, 14, public_ips_only=False) is None
    assert _reason("IP_ADDRESS", "OID 1.3.6.1.4.1 here", "3.6.1.4") == "part_of_token"
    assert _reason("IP_ADDRESS", "docs use 203.0.113.7 here", "203.0.113.7") is not None
    assert _reason("IP_ADDRESS", "x :: float", "::") == "unspecified"


def test_reserved_email_domains_are_kept():
    assert _reason("EMAIL_ADDRESS", "mail email@example.com now", "email@example.com") == "reserved_domain"
    assert _reason("EMAIL_ADDRESS", "mail ana@uni-heidelberg.de now", "ana@uni-heidelberg.de") is None


def test_luhn():
    assert validate.luhn_ok("4539148803436467")
    assert not validate.luhn_ok("4539148803436468")
