"""Opening hours as windows write them ("月〜金 8:45–17:15") read as weekly recurrence rules.

Each part is days then times: days as a range (月〜金), a list (月・水・金, 月,水), single days, or
土日/平日; times as H:MM–H:MM with any dash. Parts are separated by spaces, "、" or ";". Anything
else is kept as text only (the HSDS schedule's ``description``), never guessed.
"""

import re
from dataclasses import dataclass

DAYS = "月火水木金土日"
CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DASHES = "–—〜~～ー－\\-"
_DASH = f"[{DASHES}]"
_TIME = r"(\d{1,2})[:：](\d{2})"
_PART = re.compile(
    rf"^(?P<days>[{DAYS}平日・,、{DASHES}]+?)\s*(?P<open>{_TIME})\s*{_DASH}\s*(?P<close>{_TIME})$"
)


@dataclass(frozen=True)
class WeeklyHours:
    byday: tuple[str, ...]  # MO … SU
    opens_at: str  # HH:MM
    closes_at: str

    @property
    def rrule(self) -> str:
        return f"FREQ=WEEKLY;BYDAY={','.join(self.byday)}"


def _days(text: str) -> tuple[str, ...] | None:
    text = text.replace("平日", "月〜金")
    chosen: list[int] = []
    for piece in re.split(r"[・,、]", text):
        if not piece:
            return None
        span = re.fullmatch(rf"([{DAYS}]){_DASH}([{DAYS}])", piece)
        if span:
            start, end = DAYS.index(span[1]), DAYS.index(span[2])
            if end < start:
                return None
            chosen.extend(range(start, end + 1))
        elif all(ch in DAYS for ch in piece):
            chosen.extend(DAYS.index(ch) for ch in piece)
        else:
            return None
    return tuple(CODES[i] for i in sorted(set(chosen)))


def _hhmm(hours: str, minutes: str) -> str | None:
    h, m = int(hours), int(minutes)
    return f"{h:02d}:{m:02d}" if h < 24 and m < 60 else None


def parse(text: str) -> list[WeeklyHours] | None:
    """The weekly hours in ``text``, or None when any part cannot be read exactly."""
    parts = [p for p in re.split(r"[;；、]\s*|\s{2,}|\s(?=[" + DAYS + "平])", text.strip()) if p]
    if not parts:
        return None
    out = []
    for part in parts:
        match = _PART.match(part.strip())
        if not match:
            return None
        days = _days(match["days"])
        opens = _hhmm(*re.findall(r"\d+", match["open"]))
        closes = _hhmm(*re.findall(r"\d+", match["close"]))
        if not days or opens is None or closes is None or closes <= opens:
            return None
        out.append(WeeklyHours(days, opens, closes))
    return out
