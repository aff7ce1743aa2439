"""signature.py: PagerDuty's V3 signature scheme, checked against a hand-computed HMAC."""

import hashlib
import hmac

from webhooks import signature

BODY = b'{"event":{"id":"01BRB6ZP4M6T8ZG4X6BP63ZB9O","event_type":"pagey.ping"}}'


def test_it_signs_the_raw_body_with_hmac_sha256_in_lowercase_hex():
    expected = hmac.new(b"s3cret-value", BODY, hashlib.sha256).hexdigest()
    assert signature.sign(BODY, "s3cret-value") == expected


def test_it_accepts_a_header_whose_second_v1_signature_matches():
    header = f"v1={'0' * 64},v1={signature.sign(BODY, 'new-secret')}"
    assert signature.verify(BODY, header, ["new-secret"])


def test_it_accepts_any_of_several_saved_secrets():
    header = f"v1={signature.sign(BODY, 'old-secret')}"
    assert signature.verify(BODY, header, ["new-secret", "old-secret"])


def test_it_ignores_other_versions_and_spaces():
    good = signature.sign(BODY, "k3y-value")
    assert signature.verify(BODY, f"v0={good}, v1={good.upper()} ", ["k3y-value"])
    assert not signature.verify(BODY, f"v2={good}", ["k3y-value"])


def test_it_rejects_a_changed_body_a_missing_header_and_no_secrets():
    header = f"v1={signature.sign(BODY, 'k3y-value')}"
    assert not signature.verify(BODY + b" ", header, ["k3y-value"])
    assert not signature.verify(BODY, None, ["k3y-value"])
    assert not signature.verify(BODY, "", ["k3y-value"])
    assert not signature.verify(BODY, header, [])


def test_it_does_not_crash_on_non_ascii_signatures():
    assert not signature.verify(BODY, "v1=é☃", ["k3y-value"])
