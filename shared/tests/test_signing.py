import time
from datetime import timedelta

import pytest

from isoloir import signing

KEY = "a-link-secret-of-at-least-32-bytes!"
OTHER = "another-link-secret-32-bytes-long"


class TestWebhooks:
    def test_a_signed_body_verifies(self) -> None:
        headers = signing.sign_webhook(secret="s1", body=b'{"a":1}')

        assert signing.verify_webhook(secrets=["s1"], body=b'{"a":1}', headers=headers)

    def test_a_tampered_body_is_refused(self) -> None:
        headers = signing.sign_webhook(secret="s1", body=b'{"a":1}')

        with pytest.raises(signing.SignatureError, match="does not match"):
            signing.verify_webhook(secrets=["s1"], body=b'{"a":2}', headers=headers)

    def test_an_old_timestamp_is_refused_as_a_replay(self) -> None:
        old = int(time.time()) - 3600
        headers = signing.sign_webhook(secret="s1", body=b"x", timestamp=old)

        with pytest.raises(signing.SignatureError, match="outside the accepted window"):
            signing.verify_webhook(secrets=["s1"], body=b"x", headers=headers)

    def test_a_rotated_secret_still_verifies_during_rotation(self) -> None:
        headers = signing.sign_webhook(secret="old", body=b"x")

        assert signing.verify_webhook(secrets=["new", "old"], body=b"x", headers=headers)

    def test_missing_headers_are_refused(self) -> None:
        with pytest.raises(signing.SignatureError, match="missing"):
            signing.verify_webhook(secrets=["s1"], body=b"x", headers={})


class TestLinks:
    def test_a_link_opens_its_own_page_only(self) -> None:
        token = signing.sign_link(
            secret=KEY, purpose="unsubscribe", claims={"c": "1"}, ttl=timedelta(days=1)
        )

        assert signing.read_link(secret=KEY, purpose="unsubscribe", token=token)["c"] == "1"
        with pytest.raises(signing.SignatureError, match="not valid for this page"):
            signing.read_link(secret=KEY, purpose="preferences", token=token)

    def test_an_expired_link_is_refused(self) -> None:
        token = signing.sign_link(secret=KEY, purpose="p", claims={}, ttl=timedelta(seconds=-10))

        with pytest.raises(signing.SignatureError, match="expired"):
            signing.read_link(secret=KEY, purpose="p", token=token)

    def test_a_forged_link_is_refused(self) -> None:
        token = signing.sign_link(secret=OTHER, purpose="p", claims={}, ttl=None)

        with pytest.raises(signing.SignatureError, match="not valid"):
            signing.read_link(secret=KEY, purpose="p", token=token)

    def test_a_short_secret_is_refused(self) -> None:
        with pytest.raises(ValueError, match="at least 32 bytes"):
            signing.sign_link(secret="short", purpose="p", claims={}, ttl=None)
