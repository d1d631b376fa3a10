"""The web app's pure helpers: language choice, chart geometry, diff lines, highlights, dates."""

from __future__ import annotations

from datetime import UTC, date, datetime

from crawler.core.similarity import word_diff
from crawler.web.i18n import MESSAGES, choose
from crawler.web.present import daily_chart, day_first, diff_lines, segments


def test_language_follows_the_url_then_accept_language_quality():
    assert choose(None, None) == "vi"
    assert choose(None, "en-US,en;q=0.9") == "en"
    assert choose(None, "fr,en;q=0.4,vi;q=0.8") == "vi"
    assert choose(None, "fr,de") == "vi"
    assert choose("en", "vi") == "en" and choose("xx", "en") == "en"


def test_every_message_speaks_vietnamese_and_english():
    assert all(set(entry) == {"vi", "en"} and all(entry.values()) for entry in MESSAGES.values())


def test_chart_bars_scale_to_the_busiest_day_and_skip_empty_days():
    chart = daily_chart([0, 2, 4, 0, 1], date(2026, 12, 3), width=50, height=40)
    assert [b.count for b in chart.bars] == [2, 4, 1]
    assert [b.day for b in chart.bars] == [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 3)]
    tallest = chart.bars[1]
    assert tallest.height == 40 and tallest.y == 0 and chart.bars[0].height == 20
    assert (chart.total, chart.peak, chart.first_day) == (7, 4, date(2026, 11, 29))
    assert daily_chart([0] * 90, date(2026, 12, 3)).bars == []


def test_diff_lines_read_the_stored_word_diff():
    lines = diff_lines(word_diff("Một hai ba bốn", "Một hai năm bốn"))
    assert lines[0][0] == "hunk"
    assert ("removed", "ba") in lines and ("added", "năm") in lines and ("same", "Một hai") in lines


def test_highlight_segments_cover_the_snippet():
    parts = segments("Báo Lạng Sơn hôm nay", [(4, 8), (9, 12)])
    assert parts == [("Báo ", False), ("Lạng", True), (" ", False), ("Sơn", True), (" hôm nay", False)]
    assert "".join(p for p, _ in parts) == "Báo Lạng Sơn hôm nay"


def test_dates_are_shown_day_first_in_vietnam_time():
    assert day_first(datetime(2020, 12, 3, 17, 30, tzinfo=UTC)) == "04/12/2020 00:30"
    assert day_first("2020-12-04T08:00:00+07:00") == "04/12/2020 08:00"
    assert day_first(None) == ""
