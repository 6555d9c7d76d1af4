import json
import logging

import pytest

from isoloir.logs import JsonFormatter, Throttle, scrub


def render(msg: str, *args: object, **extra: object) -> dict[str, object]:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    out: dict[str, object] = json.loads(JsonFormatter("demo").format(record))
    return out


class TestScrubbing:
    def test_email_addresses_and_phone_numbers_are_removed_from_messages(self) -> None:
        line = render("sent to %s and %s", "marie.curie@example.fr", "+33 6 12 34 56 78")

        assert "marie" not in str(line["msg"])
        assert "12 34" not in str(line["msg"])

    def test_french_national_and_dotted_numbers_are_removed(self) -> None:
        assert "[redacted]" in scrub("call 06.12.34.56.78 today")
        assert "[redacted]" in scrub("call 0612345678 today")

    def test_fields_named_after_personal_data_are_redacted_whatever_their_value(self) -> None:
        line = render("contact updated", first_name="Marie", last_name="Curie", contact_id="c-1")

        assert line["first_name"] == "[redacted]"
        assert line["last_name"] == "[redacted]"
        assert line["contact_id"] == "c-1"

    def test_nested_values_are_scrubbed(self) -> None:
        line = render("batch", details={"to": ["a@b.fr"], "email": "x@y.fr", "count": 2})

        assert line["details"] == {"to": ["[redacted]"], "email": "[redacted]", "count": 2}

    def test_ids_dates_and_counts_survive(self) -> None:
        text = "event 3f2b8c1e-9d4a-4c1b-8a7e-2f1d0c9b8a76 at 2026-11-23T10:00:00 count 123456"

        assert scrub(text) == text


class TestThrottle:
    def test_a_repeated_message_passes_once_per_interval_with_the_count_held_back(self) -> None:
        throttle = Throttle(interval=10)
        records = []
        for second in (0.0, 1.0, 2.0, 11.0):
            record = logging.LogRecord(
                "aiokafka", logging.ERROR, __file__, 1, "down %s", (1,), None
            )
            record.created = second
            records.append((throttle.filter(record), getattr(record, "suppressed", 0)))

        assert records == [(True, 0), (False, 0), (False, 0), (True, 2)]

    def test_different_messages_are_not_held_back(self) -> None:
        throttle = Throttle(interval=10)
        first = logging.LogRecord("aiokafka", logging.ERROR, __file__, 1, "a", (), None)
        second = logging.LogRecord("aiokafka", logging.ERROR, __file__, 1, "b", (), None)

        assert throttle.filter(first)
        assert throttle.filter(second)


class TestPhonePattern:
    @pytest.mark.parametrize(
        "text",
        ["+33 6 12 34 56 78", "+33612345678", "0033 6 12 34 56 78", "06 12 34 56 78",
         "0612345678", "06.12.34.56.78", "06-12-34-56-78", "+44 20 7946 0958"],
    )  # fmt: skip
    def test_phone_numbers_are_scrubbed(self, text: str) -> None:
        assert scrub(f"call {text} now") == "call [redacted] now"

    @pytest.mark.parametrize(
        "text",
        ["2026-11-23 16:33:00.326924", "2026-11-23T10:00:00+00:00", "offset 1234567890",
         "polling station 75056_0001", "1,000,000 rows in 71.2 s", "port 127.0.0.1:8001"],
    )  # fmt: skip
    def test_dates_counts_and_addresses_of_machines_survive(self, text: str) -> None:
        assert scrub(text) == text
