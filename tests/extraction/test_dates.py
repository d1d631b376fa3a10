"""The date parser, table-driven: Vietnamese formats, always day-first."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from crawler.extraction import parse_date

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PLUS7 = timezone(timedelta(hours=7))

CASES = [
    ("17:30 | 11/09/2018", "2018-09-11T17:30:00+07:00"),
    ("10:32 | 04/12/2020", "2020-12-04T10:32:00+07:00"),  # day-first trap: 4 December
    ("04/12/2020", "2020-12-04T00:00:00+07:00"),
    ("12/04/2020", "2020-04-12T00:00:00+07:00"),
    ("Thứ Hai, 4/12/2020 - 08:15", "2020-12-04T08:15:00+07:00"),
    ("thứ hai, 4/12/2020 - 08:15", "2020-12-04T08:15:00+07:00"),
    ("THỨ SÁU | 22/03/2019 | 14:05", "2019-03-22T14:05:00+07:00"),
    ("Thứ sáu,\xa022/03/2019", "2019-03-22T00:00:00+07:00"),
    ("Thứ sáu,  15/10/2021", "2021-10-15T00:00:00+07:00"),
    ("Chủ nhật, 1/1/2023, 9:05", "2023-01-01T09:05:00+07:00"),
    ("Thứ 4, 01.01.2014 | 08:00:00", "2014-01-01T08:00:00+07:00"),
    ("Cập nhật: 22/03/2019 08:15", "2019-03-22T08:15:00+07:00"),
    ("Cập nhật lúc 08:15 ngày 22/03/2019", "2019-03-22T08:15:00+07:00"),
    ("Đăng lúc 07:00 (GMT+7) - 02/02/2022", "2022-02-02T07:00:00+07:00"),
    ("Ngày đăng: 05-06-2021 14:30", "2021-06-05T14:30:00+07:00"),
    ("22/03/2019 - 08:15", "2019-03-22T08:15:00+07:00"),
    ("22/03/2019 08:15 (GMT+7)", "2019-03-22T08:15:00+07:00"),
    ("22/03/2019 08:15 GMT+0", "2019-03-22T08:15:00+00:00"),
    ("22 tháng 3 năm 2019", "2019-03-22T00:00:00+07:00"),
    ("Ngày 05 tháng 11 năm 2020", "2020-11-05T00:00:00+07:00"),
    ("2021-05-06T10:20:00+0700", "2021-05-06T10:20:00+07:00"),
    ("2021-05-06T10:20:00+07:00", "2021-05-06T10:20:00+07:00"),
    ("2021-05-06T03:20:00Z", "2021-05-06T03:20:00+00:00"),
    ("2021-05-06T10:20:00", "2021-05-06T10:20:00+07:00"),
    ("2021-05-06", "2021-05-06T00:00:00+07:00"),
    ("2025-06-17T13:43:02.123+0700", "2025-06-17T13:43:02+07:00"),
    ("08h15, 03/02/2021", "2021-02-03T08:15:00+07:00"),
    ("3:05 PM 03/02/2021", "2021-02-03T15:05:00+07:00"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse(text: str, expected: str) -> None:
    assert parse_date(text).isoformat() == expected


@pytest.mark.parametrize("text", [
    "", "Chiều nay (11/9)", "31/02/2020", "13/13/2020", "không có ngày", "11/9",
    "3 giờ trước", "Hôm qua", "99/99/9999", "1/1/1800",
])
def test_unparseable(text: str) -> None:
    assert parse_date(text) is None


def test_zone_defaults_to_vietnam_and_can_be_overridden() -> None:
    assert parse_date("04/12/2020 08:15").utcoffset() == timedelta(hours=7)
    other = parse_date("04/12/2020 08:15", ZoneInfo("Asia/Bangkok"))
    assert other == datetime(2020, 12, 4, 8, 15, tzinfo=PLUS7)
    assert other.tzinfo == ZoneInfo("Asia/Bangkok")


def test_first_date_wins() -> None:
    assert parse_date("11/09/2018 - Tin liên quan (21/03/2019)").date().isoformat() == "2018-09-11"
