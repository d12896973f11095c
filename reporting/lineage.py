"""``sinkwatch lineage <mart> [--where ...]``: which uploads produced a published figure.

Reads the ``lineage`` table (dbt model ``models/marts/lineage/lineage.sql``) of a published
warehouse. ``--where`` selects mart rows with a small grammar, never pasted into SQL: conditions
``column OP value`` joined by ``and``, OP one of ``= != <> < <= > >=``, ``in (v, ...)``,
``is [not] null``; a value is a quoted string or a number. Column names are checked against the
mart's columns and values go to DuckDB as parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"""\s*(?:
    (?P<str>'(?:[^']|'')*')
  | (?P<num>[-+]?\d+(?:\.\d+)?)
  | (?P<op><=|>=|<>|!=|=|<|>)
  | (?P<punct>[(),])
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
)""", re.VERBOSE)

OPERATORS = ("=", "!=", "<>", "<", "<=", ">", ">=")


class WhereError(ValueError):
    pass


@dataclass(frozen=True)
class Condition:
    column: str
    op: str  # one of OPERATORS, "in", "is null", "is not null"
    values: tuple = ()


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise WhereError(f"cannot read --where at {text[pos:pos + 20]!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _value(tok: tuple[str, str]):
    kind, raw = tok
    if kind == "str":
        return raw[1:-1].replace("''", "'")
    if kind == "num":
        return float(raw) if "." in raw else int(raw)
    raise WhereError(f"expected a quoted string or a number, got {raw!r}")


def parse_where(text: str | None) -> list[Condition]:
    """``zone_id='F01' and year=2025`` -> conditions (column names not yet validated)."""
    if not text or not text.strip():
        return []
    toks = _tokens(text)
    conds: list[Condition] = []
    i = 0

    def need(k: int) -> tuple[str, str]:
        if k >= len(toks):
            raise WhereError("--where ends too early")
        return toks[k]

    while True:
        kind, col = need(i)
        if kind != "word":
            raise WhereError(f"expected a column name, got {col!r}")
        kind, op = need(i + 1)
        if kind == "op":
            conds.append(Condition(col, op, (_value(need(i + 2)),)))
            i += 3
        elif kind == "word" and op.lower() == "in":
            if need(i + 2) != ("punct", "("):
                raise WhereError("expected ( after in")
            values, j = [], i + 3
            while True:
                values.append(_value(need(j)))
                sep = need(j + 1)
                j += 2
                if sep == ("punct", ")"):
                    break
                if sep != ("punct", ","):
                    raise WhereError("expected , or ) in the in-list")
            conds.append(Condition(col, "in", tuple(values)))
            i = j
        elif kind == "word" and op.lower() == "is":
            nxt = need(i + 2)
            if nxt[0] == "word" and nxt[1].lower() == "not" and \
                    need(i + 3)[1].lower() == "null":
                conds.append(Condition(col, "is not null"))
                i += 4
            elif nxt[0] == "word" and nxt[1].lower() == "null":
                conds.append(Condition(col, "is null"))
                i += 3
            else:
                raise WhereError("expected null or not null after is")
        else:
            raise WhereError(f"unknown operator {op!r} (use {' '.join(OPERATORS)}, in, is null)")
        if i >= len(toks):
            return conds
        kind, word = toks[i]
        if kind != "word" or word.lower() != "and":
            raise WhereError(f"expected and, got {word!r} (only and is supported)")
        i += 1


def _sql(conds: list[Condition], columns: list[str]) -> tuple[str, list]:
    """The WHERE clause with parameters; every column must be one of ``columns``."""
    known = {c.lower(): c for c in columns}
    parts, params = [], []
    for c in conds:
        col = known.get(c.column.lower())
        if col is None:
            raise WhereError(f"unknown column {c.column!r}; columns: {', '.join(columns)}")
        ident = '"' + col.replace('"', '""') + '"'
        if c.op in ("is null", "is not null"):
            parts.append(f"{ident} {c.op}")
        elif c.op == "in":
            parts.append(f"{ident} in ({', '.join('?' for _ in c.values)})")
            params += list(c.values)
        else:
            parts.append(f"{ident} {'<>' if c.op == '!=' else c.op} ?")
            params.append(c.values[0])
    return (" and ".join(parts) or "true"), params


@dataclass(frozen=True)
class Answer:
    mart: str
    granularity: str  # row | table | none
    key_columns: tuple[str, ...]
    n_rows: int  # mart rows the --where selected
    files: list[dict]  # sha256, family, file_name, received_at, roles


def query(con, mart: str, where: str | None = None) -> Answer:
    """The files that fed the rows of ``mart`` that ``where`` selects (all rows when None)."""
    marts = {r[0] for r in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'main'").fetchall()}
    if mart not in marts or mart == "lineage":
        raise WhereError(f"unknown mart {mart!r}; marts: {', '.join(sorted(marts - {'lineage'}))}")
    columns = [r[0] for r in con.execute(
        "select column_name from duckdb_columns() where schema_name = 'main' and table_name = ? "
        "order by column_index", [mart]).fetchall()]
    clause, params = _sql(parse_where(where), columns)
    ident = '"' + mart.replace('"', '""') + '"'
    n_rows = con.execute(f"select count(*) from {ident} where {clause}", params).fetchone()[0]
    gran = con.execute("select list(distinct granularity order by granularity) from lineage "
                       "where mart = ?", [mart]).fetchone()[0] or []
    keys: tuple[str, ...] = ()
    if "row" in gran:
        sample = con.execute("select row_key from lineage where mart = ? and row_key is not null "
                             "limit 1", [mart]).fetchone()[0]
        keys = tuple(r[0] for r in con.execute("select unnest(json_keys(?))",
                                                [sample]).fetchall())
        missing = [k for k in keys if k not in columns]
        if missing:
            raise WhereError(f"lineage keys {missing} are not columns of {mart}")
        on = " and ".join(
            f"json_extract_string(l.row_key, '$.{k}') is not distinct from "
            f"cast(m.\"{k}\" as varchar)" for k in keys)
        key_list = ", ".join(f'"{k}"' for k in keys)
        sql = (f"select l.source_sha256, l.family, l.file_name, l.received_at, "
               f"list(distinct l.role order by l.role) as roles "
               f"from lineage l join (select distinct {key_list} "
               f"from {ident} where {clause}) m on {on} "
               f"where l.mart = ? group by all order by l.family, l.received_at, l.file_name, "
               f"l.source_sha256")
        rows = con.execute(sql, [*params, mart]).fetchall()
        granularity = "row"
    elif "table" in gran:
        rows = con.execute(
            "select source_sha256, family, file_name, received_at, list(distinct role order by "
            "role) from lineage where mart = ? group by all order by family, received_at, "
            "file_name, source_sha256", [mart]).fetchall() if n_rows else []
        granularity = "table"
    else:
        rows, granularity = [], "none"
    files = [{"sha256": r[0], "family": r[1], "file_name": r[2], "received_at": r[3],
              "roles": list(r[4])} for r in rows]
    return Answer(mart, granularity, keys, n_rows, files)
