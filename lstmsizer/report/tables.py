"""The page's HTML tables: sortable tables of values or of text, rows marked by class."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape

from lstmsizer.report.facts import number
from lstmsizer.report.results import Table

# A cell as shown, with the number it sorts by (NaN: sorted as text)
Cell = tuple[str, float]
# display names of raw column names; the rest show with spaces for underscores
COLUMN_NAMES = {
    "mean_val_loss": "mean early-stopping block loss",
    "val_loss": "early-stopping block loss",
}


def column_name(column: str) -> str:
    """A raw column name as a table header."""
    return COLUMN_NAMES.get(column, column.replace("_", " "))


def _cell(value: object) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return f"<td>{escape('' if value is None else str(value))}</td>"
    if isinstance(value, int | float):
        raw = "" if isinstance(value, float) and not math.isfinite(value) else repr(value)
        return f'<td class="n" data-v="{raw}">{escape(number(value))}</td>'
    return f"<td>{escape(str(value))}</td>"


def table_html(
    table: Table, ident: str, marks: Mapping[str, str] | None = None, key: str = "config"
) -> str:
    """A sortable table; rows whose `key` column is in marks get that class."""
    marks = marks or {}
    head = "".join(f"<th scope='col'>{escape(column_name(c))}</th>" for c in table.columns)
    index = table.columns.index(key) if key in table.columns else None
    rows = []
    for row in table.rows:
        mark = marks.get(str(row[index])) if index is not None else None
        cls = f' class="{mark}"' if mark else ""
        cells = "".join(_cell(v) for v in row)
        rows.append(f"<tr{cls}>{cells}</tr>")
    return (
        f'<div class="scroll"><table class="sortable" id="{ident}"><thead><tr>{head}</tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def plain_table(columns: Sequence[str], rows: Iterable[Sequence[str]], ident: str) -> str:
    """A sortable table of text cells."""
    head = "".join(f"<th scope='col'>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in r) + "</tr>" for r in rows)
    return (
        f'<div class="scroll"><table class="sortable" id="{ident}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def sortable_table(
    columns: Sequence[str], rows: Sequence[Sequence[Cell]], ident: str, classes: Sequence[str] = ()
) -> str:
    """A sortable table of (text, sort value) cells; row k gets classes[k] when given."""
    head = "".join(f"<th scope='col'>{escape(c)}</th>" for c in columns)
    body = []
    for k, row in enumerate(rows):
        mark = classes[k] if k < len(classes) else ""
        cells = "".join(
            f'<td class="n" data-v="{value!r}">{escape(text)}</td>'
            if math.isfinite(value)
            else f"<td>{escape(text)}</td>"
            for text, value in row
        )
        body.append(f'<tr class="{mark}">{cells}</tr>' if mark else f"<tr>{cells}</tr>")
    return (
        f'<div class="scroll"><table class="sortable" id="{ident}"><thead><tr>{head}</tr>'
        f"</thead><tbody>{''.join(body)}</tbody></table></div>"
    )
