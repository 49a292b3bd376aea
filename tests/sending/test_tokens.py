"""Signed tokens: short, bound to one delivery and one purpose, impossible to forge."""

import pytest

from wagtail_distmark.sending import tokens
from wagtail_distmark.sending.tokens import BadToken


@pytest.mark.parametrize("number", [1, 61, 62, 3843, 2**31 - 1, 2**53])
def test_base62_round_trip(number):
    assert tokens.decode(tokens.encode(number)) == number


@pytest.mark.parametrize("text", ["", "0", "-1", "é", "A" * 12, "1.5", " 1", "\x00"])
def test_base62_refuses_what_is_not_an_id(text):
    with pytest.raises(ValueError):
        tokens.decode(text)


@pytest.mark.parametrize("purpose", tokens.PURPOSES)
def test_a_token_reads_back_for_its_purpose_only(purpose):
    token = tokens.make(purpose, 4242, 7 if purpose == tokens.CLICK else None)
    assert len(token) <= tokens.MAX_LENGTH
    assert tokens.read(purpose, token) == (4242, 7 if purpose == tokens.CLICK else None)
    for other in tokens.PURPOSES:
        if other != purpose:
            with pytest.raises(BadToken):
                tokens.read(other, token)


def test_a_token_cannot_be_turned_into_another_deliverys():
    token = tokens.make(tokens.UNSUBSCRIBE, 1000)
    _value, _sep, signature = token.partition(":")
    with pytest.raises(BadToken):
        tokens.read(tokens.UNSUBSCRIBE, f"{tokens.encode(1001)}:{signature}")
    click = tokens.make(tokens.CLICK, 1000, 1)
    value, _sep, signature = click.partition(":")
    with pytest.raises(BadToken):
        tokens.read(tokens.CLICK, f"{value[:-1]}2:{signature}")  # another link


def test_a_token_signed_with_another_key_is_refused(settings):
    token = tokens.make(tokens.OPEN, 5)
    settings.SECRET_KEY = "another-key-" + "x" * 50
    with pytest.raises(BadToken):
        tokens.read(tokens.OPEN, token)


@pytest.mark.parametrize(
    "token",
    ["", "x" * 81, None, 12, "1:", ":", "1:abc", "é:é", "\x00", "1-2-3:x", "1:" + "A" * 43],
)
def test_malformed_tokens_are_bad_tokens(token):
    with pytest.raises(BadToken):
        tokens.read(tokens.CLICK, token)


def test_a_signed_value_that_is_no_delivery_id_is_a_bad_token():
    signer = tokens.signer(tokens.CLICK)
    for value in ("0", "-1", "1-x", "1-123456", "1-٣", "é", "", "1--1"):
        with pytest.raises(BadToken):
            tokens.read(tokens.CLICK, signer.sign(value))
