"""The weekly hours editor's form, shared by every page that edits a week of intervals (a
store's opening hours, a staff member's working hours in the appointments plugin).

Inputs are named ``hours-<weekday>-<n>-opens|closes|overnight`` (the ``hours_row`` macro of
``macros/forms.html``); the services take a list of ``{weekday, opens, closes, overnight}``
rows and name a refused one ``hours[<index>].opens``. These helpers turn one into the other
and put each message back next to the input it is about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from flask import request

# Empty rows offered under each weekday for browsers without JS.
BLANK_HOUR_ROWS = 2
# A form may add rows with JS; more than this per weekday is not a real timetable.
MAX_ROWS_PER_DAY = 48
HOURS_FIELD = re.compile(r"^hours-([0-6])-(\d{1,3})-(opens|closes|overnight)$")
SERVICE_ROW_FIELD = re.compile(r"^(hours|intervals)\[(\d+)\](?:\.(opens|closes|weekday))?$")

Weekly = dict[int, list[dict]]


def weekly_rows(intervals: Iterable) -> Weekly:
    """Stored intervals (anything with ``weekday``, ``opens``, ``closes``, ``overnight``) as
    the editor's rows per weekday."""
    weekly: Weekly = {day: [] for day in range(7)}
    for interval in intervals:
        weekly[interval.weekday].append({"opens": interval.opens.strftime("%H:%M"),
                                         "closes": interval.closes.strftime("%H:%M"),
                                         "overnight": interval.overnight})
    return weekly


def typed_weekly() -> Weekly:
    """The weekly rows as typed, in form order; rows with neither time are dropped,
    half-filled rows go on to be refused."""
    cells: dict[tuple[int, int], dict] = {}
    for key in request.form:
        match = HOURS_FIELD.match(key)
        if match:
            cell = cells.setdefault((int(match[1]), int(match[2])), {})
            cell[match[3]] = request.form.get(key, "").strip()
    weekly: Weekly = {day: [] for day in range(7)}
    for (weekday, _n), cell in sorted(cells.items()):
        opens, closes = cell.get("opens", ""), cell.get("closes", "")
        if opens or closes:
            weekly[weekday].append({"opens": opens, "closes": closes,
                                    "overnight": cell.get("overnight") in ("on", "1", "true")})
    return weekly


def service_rows(weekly: Weekly) -> tuple[list[dict], list[tuple[int, int]]]:
    """The rows the services take, and each one's (weekday, row) position on the form."""
    rows, positions = [], []
    for weekday, day_rows in weekly.items():
        for index, row in enumerate(day_rows[:MAX_ROWS_PER_DAY]):
            rows.append({"weekday": weekday, **row})
            positions.append((weekday, index))
    return rows, positions


def form_field_errors(fields: dict, positions: list,
                      name_of: Callable[[object, str], str]) -> dict:
    """Rename the service's ``hours[3].opens`` / ``intervals[1]`` to the form's input names,
    so each message sits next to the input the person typed in."""
    renamed: dict = {}
    for key, messages in fields.items():
        match = SERVICE_ROW_FIELD.match(key)
        if match and int(match[2]) < len(positions):
            part = match[3] if match[3] in ("opens", "closes") else "opens"
            key = name_of(positions[int(match[2])], part)
        renamed.setdefault(key, []).extend(messages)
    return renamed


def weekly_field_errors(fields: dict, positions: list[tuple[int, int]]) -> dict:
    return form_field_errors(fields, positions,
                             lambda pos, part: f"hours-{pos[0]}-{pos[1]}-{part}")
