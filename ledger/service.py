"""The ledger's operations. Each public method is one database transaction: it takes the write
lock, checks the rules (and names what breaks them), appends one event to the hash chain and
writes its rows; the database checks the rules again (``ledger/migrations/sql``). Any error
rolls the whole operation back.

    led = Ledger.open()                                   # SINKWATCH_LEDGER_URL or the SQLite file
    led.set_creditable("P-001", 2024, "LOCAL", 120.5, 12.0, source="fct_parcel_creditable",
                       actor="nightly", reason="run 2025-01-31")
    led.issue("LOCAL", 2024, ["P-001"], project="大青山 2024", actor="li", reason="批复 12 号")
    led.subscribe("ORG-1", 10, purpose_kind="event", purpose_name="马拉松", purpose_year=2025,
                  actor="li", reason="合同 7")
    led.retire("ORG-1", subscription_id=1, beneficiary="包头马拉松组委会", actor="li", reason="…")
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import DBAPIError

from ledger import chain, units
from ledger.amounts import kg, units_for_kg
from ledger.db import WRITE, make_engine, migrate
from ledger.errors import (
    AlreadyRetired,
    InsufficientUnits,
    Invalid,
    LedgerError,
    NotFound,
    OverIssuance,
    SchemeConflict,
    from_db,
)
from ledger.losses import plan_loss, write_loss
from ledger.schema import (
    PURPOSE_KINDS,
    ROLES,
    account,
    api_user,
    block,
    cancellation,
    claim,
    creditable,
    issuance,
    issuance_line,
    lock,
    retirement,
    scheme,
    subscription,
)

log = logging.getLogger("ledger")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
Notify = Callable[..., Any]


def _check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise Invalid(f"{what} {value!r}: 1-64 letters, digits, '_', '.', ':' or '-'")
    return value


def _check_text(value: str | None, what: str) -> str:
    if not value or not str(value).strip():
        raise Invalid(f"{what} is required")
    return str(value).strip()


def _check_purpose(kind: str | None, name: str | None, year: int | None) -> None:
    if kind not in PURPOSE_KINDS:
        raise Invalid(f"purpose kind {kind!r}: one of {', '.join(PURPOSE_KINDS)}")
    _check_text(name, "purpose name")
    if year is not None and not 1900 <= int(year) <= 2200:
        raise Invalid(f"purpose year {year!r}")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Ledger:
    """The ledger on one database. Thread-safe: every call opens its own connection."""

    def __init__(self, url: str | None = None, *, engine: Engine | None = None,
                 notify: Notify | None = None) -> None:
        self.engine = engine or make_engine(url)
        self._writer = self.engine.execution_options(**{WRITE: True})
        # reads see one snapshot (statements, verify); SQLite's WAL transactions already do
        self._reader = self.engine.execution_options(isolation_level="REPEATABLE READ") \
            if self.engine.dialect.name == "postgresql" else self.engine
        self.notify = notify

    @classmethod
    def open(cls, url: str | None = None, *, notify: Notify | None = None,
             upgrade: bool = True) -> Ledger:
        led = cls(url, notify=notify)
        if upgrade:
            led.migrate()
        return led

    def migrate(self) -> None:
        migrate(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    # --- transactions -----------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        try:
            with self._writer.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(select(lock.c.name).where(lock.c.name == "chain")
                                 .with_for_update())
                yield conn
        except DBAPIError as exc:
            err = from_db(exc)
            if err is None:
                raise
            raise err from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only connection on one snapshot of the ledger."""
        with self._reader.connect() as conn:
            yield conn

    @staticmethod
    def _event(conn: Connection, kind: str, actor: str, reason: str,
               data: dict) -> tuple[int, str]:
        return chain.append(conn, kind, _check_text(actor, "actor (who)"),
                            _check_text(reason, "reason (why)"), data)

    @staticmethod
    def _insert(conn: Connection, table: Any, event_id: int, rows: list[dict]) -> None:
        if rows:
            conn.execute(insert(table), [{**r, "event_id": event_id} for r in rows])

    @staticmethod
    def _scheme(conn: Connection, code: str) -> Any:
        row = conn.execute(select(scheme).where(scheme.c.scheme_code == code)).first()
        if row is None:
            known = conn.execute(select(scheme.c.scheme_code)).scalars().all()
            raise NotFound(f"scheme {code!r} is not known ({', '.join(known)})")
        return row

    @staticmethod
    def _account(conn: Connection, account_id: str, kinds: tuple[str, ...] | None = None) -> Any:
        row = conn.execute(select(account).where(account.c.account_id == account_id)).first()
        if row is None:
            raise NotFound(f"account {account_id!r} does not exist")
        if kinds and row.kind not in kinds:
            raise Invalid(f"account {account_id} is a {row.kind} account; this needs "
                          f"{' or '.join(kinds)}")
        return row

    @staticmethod
    def _buffer_account(conn: Connection, scheme_code: str) -> Any:
        return conn.execute(select(account).where(account.c.kind == "buffer",
                                                  account.c.scheme_code == scheme_code)
                            .order_by(account.c.account_id)).first()

    def _take(self, conn: Connection, account_id: str, *, quantity: int | None,
              serials: tuple[int, int] | None, scheme_code: str | None = None,
              vintage: int | None = None, subscription_id: int | None = None
              ) -> list[units.Piece]:
        if (quantity is None) == (serials is None):
            raise Invalid("give either a quantity or a serial range")
        what = "".join(f"{x} " for x in (scheme_code, vintage) if x)
        if quantity is not None:
            if int(quantity) < 1:
                raise Invalid(f"quantity {quantity}: at least 1 unit")
            blocks = units.open_blocks(conn, account_id, scheme=scheme_code, vintage=vintage,
                                       subscription_id=subscription_id)
            pieces, found = units.take_quantity(blocks, int(quantity))
            if found < quantity:
                raise InsufficientUnits(f"account {account_id} holds {found} {what}unit(s) "
                                        f"available; {quantity} requested")
            return pieces
        start, end = serials
        if start < 1 or end < start:
            raise Invalid(f"serial range {start}..{end}")
        blocks = units.open_blocks(conn, account_id, scheme=scheme_code, vintage=vintage,
                                   subscription_id=subscription_id, serials=(start, end))
        pieces, found = units.take_range(blocks, start, end)
        if found < end - start + 1:
            gone = conn.execute(select(block).where(block.c.state != "held",
                                                    block.c.serial_start <= end,
                                                    block.c.serial_end >= start).limit(1)).first()
            if gone is not None:
                raise AlreadyRetired(f"serials {start}..{end} include units already {gone.state} "
                                     f"({units.format_range(gone)}); a unit is retired or "
                                     f"cancelled at most once")
            raise InsufficientUnits(f"account {account_id} holds {found} of the "
                                    f"{end - start + 1} units {start}..{end}")
        return pieces

    def _notify(self, alerts: list[dict]) -> None:
        for a in alerts:
            log.warning("ledger alert: %s", a["message"])
            if self.notify is not None:
                try:
                    self.notify(f"ledger: {a['kind']}", a["message"], level="warning",
                                scheme=a["scheme_code"], shortfall_units=a["shortfall_units"],
                                loss_id=a["loss_id"], event_id=a["event_id"])
                except Exception:  # the ledger row is the record; a failed send is logged
                    log.exception("ledger alert could not be sent")

    # --- configuration and accounts ---------------------------------------------------------

    def register_account(self, account_id: str, name: str, *, actor: str, reason: str,
                         kind: str = "holder") -> dict[str, Any]:
        _check_id(account_id, "account")
        if kind not in ("holder", "issuer"):
            raise Invalid("accounts are 'holder' (organisations) or 'issuer'; buffer accounts "
                          "come with their scheme")
        row = {"account_id": account_id, "kind": kind, "name": _check_text(name, "name"),
               "scheme_code": None}
        with self._write() as conn:
            if conn.execute(select(account.c.account_id)
                            .where(account.c.account_id == account_id)).first():
                raise Invalid(f"account {account_id} exists already")
            eid, _ = self._event(conn, "account", actor, reason,
                                 {"rows": {"ledger_account": [row]}})
            self._insert(conn, account, eid, [row])
        return {**row, "event_id": eid}

    def add_user(self, user_name: str, role: str, *, actor: str, reason: str,
                 account_id: str | None = None) -> str:
        """Create an API user; returns its bearer token (shown once; only its hash is kept)."""
        _check_id(user_name, "user")
        if role not in ROLES:
            raise Invalid(f"role {role!r}: one of {', '.join(ROLES)}")
        if role == "buyer" and not account_id:
            raise Invalid("a buyer reads the statements of one account: give --account")
        token = secrets.token_urlsafe(32)
        row = {"user_name": user_name, "role": role, "account_id": account_id,
               "token_sha256": token_digest(token)}
        with self._write() as conn:
            if account_id:
                self._account(conn, account_id)
            if conn.execute(select(api_user.c.user_name)
                            .where(api_user.c.user_name == user_name)).first():
                raise Invalid(f"user {user_name} exists already")
            eid, _ = self._event(conn, "user", actor, reason, {"rows": {"ledger_user": [row]}})
            self._insert(conn, api_user, eid, [row])
        return token

    def authenticate(self, token: str) -> dict[str, Any] | None:
        with self.read() as conn:
            row = conn.execute(select(api_user).where(
                api_user.c.token_sha256 == token_digest(token))).first()
        return dict(row._mapping) if row else None

    def set_scheme_rule(self, scheme_code: str, buffer_bp: int, buffer_source: str, *,
                        actor: str, reason: str) -> dict[str, Any]:
        """Set a scheme's buffer share (basis points: 1000 = 10 %) and the document it
        comes from (the accounting side's methodology table feeds this)."""
        if not 0 <= int(buffer_bp) < 10000:
            raise Invalid(f"buffer {buffer_bp} bp: 0..9999")
        change = {"scheme_code": scheme_code, "buffer_bp": int(buffer_bp),
                  "buffer_source": _check_text(buffer_source, "buffer source")}
        with self._write() as conn:
            self._scheme(conn, scheme_code)
            eid, _ = self._event(conn, "scheme_rule", actor, reason, {"scheme": change})
            conn.execute(update(scheme).where(scheme.c.scheme_code == scheme_code)
                         .values(buffer_bp=change["buffer_bp"],
                                 buffer_source=change["buffer_source"], event_id=eid))
        return {**change, "event_id": eid}

    # --- creditable tonnes (from the dbt marts) ---------------------------------------------

    def set_creditable(self, parcel_id: str, vintage: int, scheme_code: str,
                       net_removals_t: Any, deductions_t: Any, *, source: str, actor: str,
                       reason: str) -> dict[str, Any]:
        return self.load_creditable([{"parcel_id": parcel_id, "vintage": vintage,
                                      "scheme_code": scheme_code,
                                      "net_removals_t": net_removals_t,
                                      "deductions_t": deductions_t}],
                                    source=source, actor=actor, reason=reason)

    def load_creditable(self, rows: Iterable[Mapping[str, Any]], *, source: str, actor: str,
                        reason: str) -> dict[str, Any]:
        """Upsert verified net removals and deductions per parcel-year-scheme (one event for
        the changed rows). Net removals are rounded down to the kg, deductions up. Refused if a
        row would drop below the units already issued for its parcel-year."""
        source = _check_text(source, "source")
        new: dict[tuple, tuple[int, int]] = {}
        for r in rows:
            key = (_check_id(str(r["parcel_id"]), "parcel"), int(r["vintage"]),
                   str(r["scheme_code"]))
            new[key] = (kg(r["net_removals_t"], "floor"), kg(r["deductions_t"], "ceiling"))
        with self._write() as conn:
            for code in {k[2] for k in new}:
                self._scheme(conn, code)
            old = {(c.parcel_id, c.vintage, c.scheme_code): c
                   for c in conn.execute(select(creditable).where(
                       creditable.c.vintage.in_(sorted({k[1] for k in new}))))}
            issued = {(r.parcel_id, r.vintage, r.scheme_code): int(r.n) for r in conn.execute(
                select(issuance_line.c.parcel_id, issuance_line.c.vintage,
                       issuance_line.c.scheme_code, func.sum(issuance_line.c.quantity).label("n"))
                .group_by(issuance_line.c.parcel_id, issuance_line.c.vintage,
                          issuance_line.c.scheme_code))}
            upserts, below = [], []
            for key in sorted(new):
                net, ded = new[key]
                o = old.get(key)
                if o is not None and (o.net_removals_kg, o.deductions_kg, o.source) == \
                        (net, ded, source):
                    continue
                if 1000 * issued.get(key, 0) > net - ded:
                    below.append(f"{key[0]} {key[1]} {key[2]}: {issued[key]} unit(s) issued, "
                                 f"{(net - ded) / 1000:.3f} t creditable")
                upserts.append([*key, net, ded, o is None])
            if below:
                raise OverIssuance("creditable tonnes cannot drop below the units already "
                                   "issued (cancel units first): " + "; ".join(below[:10]))
            if not upserts:
                return {"event_id": None, "inserted": 0, "updated": 0, "unchanged": len(new)}
            data = {"source": source, "upserts": [u[:5] for u in upserts]}
            eid, _ = self._event(conn, "creditable", actor, reason, data)
            ins = [u for u in upserts if u[5]]
            if ins:
                conn.execute(insert(creditable), [
                    {"parcel_id": p, "vintage": v, "scheme_code": s, "net_removals_kg": n,
                     "deductions_kg": d, "source": source, "event_id": eid}
                    for p, v, s, n, d, _ in ins])
            for p, v, s, n, d, _ in (u for u in upserts if not u[5]):
                conn.execute(update(creditable).where(
                    creditable.c.parcel_id == p, creditable.c.vintage == v,
                    creditable.c.scheme_code == s).values(
                    net_removals_kg=n, deductions_kg=d, source=source, event_id=eid))
        return {"event_id": eid, "inserted": len(ins), "updated": len(upserts) - len(ins),
                "unchanged": len(new) - len(upserts)}

    # --- issuance ---------------------------------------------------------------------------

    def issue(self, scheme_code: str, vintage: int,
              parcels: Mapping[str, int | None] | Iterable[str], *, project: str, actor: str,
              reason: str, account_id: str = "BUREAU") -> dict[str, Any]:
        """Issue units for parcel-years of one scheme and vintage: ``parcels`` maps a parcel to
        the units wanted (None: all that is left), or lists parcels (all that is left). One
        serial range; the scheme's buffer share (rounded up) goes to its buffer account."""
        wanted = dict(parcels) if isinstance(parcels, Mapping) else dict.fromkeys(parcels)
        if not wanted:
            raise Invalid("no parcels to issue for")
        vintage = int(vintage)
        project = _check_text(project, "project")
        with self._write() as conn:
            sch = self._scheme(conn, scheme_code)
            self._account(conn, account_id, kinds=("issuer",))
            buffer_acct = self._buffer_account(conn, scheme_code)
            ids = sorted(_check_id(str(p), "parcel") for p in wanted)
            cred, claimed, issued = {}, {}, {}
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                for c in conn.execute(select(creditable).where(
                        creditable.c.vintage == vintage, creditable.c.scheme_code == scheme_code,
                        creditable.c.parcel_id.in_(chunk))):
                    cred[c.parcel_id] = c
                for c in conn.execute(select(claim).where(claim.c.vintage == vintage,
                                                          claim.c.parcel_id.in_(chunk))):
                    claimed[c.parcel_id] = c.scheme_code
                for r in conn.execute(select(issuance_line.c.parcel_id,
                                             func.sum(issuance_line.c.quantity).label("n"))
                                      .where(issuance_line.c.vintage == vintage,
                                             issuance_line.c.parcel_id.in_(chunk))
                                      .group_by(issuance_line.c.parcel_id)):
                    issued[r.parcel_id] = int(r.n)  # PostgreSQL's sum(bigint) is numeric
            lines: list[tuple[str, int]] = []
            for p in ids:
                other = claimed.get(p)
                if other and other != scheme_code:
                    raise SchemeConflict(
                        f"parcel {p} year {vintage} is issued under {other}; it cannot also be "
                        f"issued under {scheme_code} (a parcel-year issued under CCER cannot be "
                        f"sold locally, and the other way round)")
                c = cred.get(p)
                if c is None:
                    raise OverIssuance(f"parcel {p} year {vintage} has no verified net removals "
                                       f"under {scheme_code}; nothing can be issued")
                cap_t = (c.net_removals_kg - c.deductions_kg) / 1000
                available = (c.net_removals_kg - c.deductions_kg) // 1000 - issued.get(p, 0)
                want = wanted[p]
                if want is not None and int(want) > available:
                    raise OverIssuance(
                        f"parcel {p} year {vintage}: {want} unit(s) requested, {max(available, 0)} "
                        f"left ({cap_t:.3f} t verified net removals minus deductions, "
                        f"{issued.get(p, 0)} already issued)")
                n = available if want is None else int(want)
                if n >= 1:
                    lines.append((p, n))
                elif want is not None:
                    raise Invalid(f"parcel {p}: quantity {want}")
            total = sum(n for _, n in lines)
            if total == 0:
                raise OverIssuance(f"nothing left to issue for these parcels in {vintage} under "
                                   f"{scheme_code}")
            buffer_n = -(-total * sch.buffer_bp // 10000)
            if buffer_n and buffer_acct is None:
                raise NotFound(f"scheme {scheme_code} has no buffer account")
            start = conn.execute(select(func.coalesce(func.max(issuance.c.serial_end), 0))
                                 ).scalar_one() + 1
            iid = units.next_id(conn, issuance.c.issuance_id)
            iss = {"issuance_id": iid, "scheme_code": scheme_code, "vintage": vintage,
                   "project": project, "account_id": account_id, "serial_start": start,
                   "serial_end": start + total - 1, "quantity": total,
                   "buffer_quantity": buffer_n}
            line_rows, cursor = [], start
            for p, n in lines:
                line_rows.append({"issuance_id": iid, "parcel_id": p, "vintage": vintage,
                                  "scheme_code": scheme_code, "quantity": n,
                                  "serial_start": cursor, "serial_end": cursor + n - 1})
                cursor += n
            claims = [{"parcel_id": p, "vintage": vintage, "scheme_code": scheme_code}
                      for p, _ in lines if p not in claimed]
            bid = units.next_id(conn, block.c.block_id)
            base = {"issuance_id": iid, "scheme_code": scheme_code, "vintage": vintage,
                    "state": "held", "subscription_id": None, "retirement_id": None,
                    "cancellation_id": None}
            created = []
            if total - buffer_n:
                created.append({**base, "block_id": bid, "serial_start": start,
                                "serial_end": start + total - buffer_n - 1,
                                "account_id": account_id})
            if buffer_n:
                created.append({**base, "block_id": bid + len(created),
                                "serial_start": start + total - buffer_n,
                                "serial_end": start + total - 1,
                                "account_id": buffer_acct.account_id})
            blocks = {"closed": [], "created": created}
            data = {"rows": {"ledger_parcel_claim": claims, "ledger_issuance": [iss],
                             "ledger_issuance_line": line_rows}, "blocks": blocks}
            eid, digest = self._event(conn, "issue", actor, reason, data)
            self._insert(conn, claim, eid, claims)
            self._insert(conn, issuance, eid, [iss])
            self._insert(conn, issuance_line, eid, line_rows)
            units.apply(conn, eid, blocks)
        return {**iss, "event_id": eid, "hash": digest,
                "serials": units.format_range({**iss}), "parcels": dict(lines),
                "buffer_account": buffer_acct.account_id if buffer_n else None}

    # --- moving, selling, retiring, cancelling ----------------------------------------------

    def transfer(self, from_account: str, to_account: str, *, quantity: int | None = None,
                 serials: tuple[int, int] | None = None, scheme_code: str | None = None,
                 vintage: int | None = None, actor: str, reason: str) -> dict[str, Any]:
        with self._write() as conn:
            self._account(conn, from_account, kinds=("issuer", "holder"))
            self._account(conn, to_account, kinds=("issuer", "holder"))
            if from_account == to_account:
                raise Invalid("a transfer needs two different accounts")
            pieces = self._take(conn, from_account, quantity=quantity, serials=serials,
                                scheme_code=scheme_code, vintage=vintage)
            blocks = units.plan(conn, [(pieces, {"account_id": to_account})])
            eid, digest = self._event(conn, "transfer", actor, reason,
                                      {"from": from_account, "to": to_account, "blocks": blocks})
            units.apply(conn, eid, blocks)
        return {"event_id": eid, "hash": digest, "from": from_account, "to": to_account,
                "quantity": sum(p.units for p in pieces),
                "serials": [units.format_range(b) for b in blocks["created"]
                            if b["account_id"] == to_account
                            and any(b["serial_start"] == p.start for p in pieces)]}

    def subscribe(self, buyer: str, quantity: int, *, purpose_kind: str, purpose_name: str,
                  purpose_year: int | None = None, scheme_code: str = "LOCAL",
                  seller: str = "BUREAU", actor: str, reason: str) -> dict[str, Any]:
        """认购: an organisation buys ``quantity`` units of a locally sold scheme for a named
        purpose (event, product, year). Refused, with nothing written, if the seller holds
        fewer units than that."""
        _check_purpose(purpose_kind, purpose_name, purpose_year)
        with self._write() as conn:
            sch = self._scheme(conn, scheme_code)
            if not sch.local_sale:
                raise SchemeConflict(f"units of {scheme_code} ({sch.name_zh}) are not sold "
                                     f"locally (a parcel-year issued under CCER cannot be sold "
                                     f"locally, and the other way round)")
            self._account(conn, buyer, kinds=("holder",))
            self._account(conn, seller, kinds=("issuer", "holder"))
            pieces = self._take(conn, seller, quantity=quantity, serials=None,
                                scheme_code=scheme_code)
            sid = units.next_id(conn, subscription.c.subscription_id)
            row = {"subscription_id": sid, "account_id": buyer, "seller_account_id": seller,
                   "scheme_code": scheme_code, "local_sale": True, "quantity": int(quantity),
                   "purpose_kind": purpose_kind, "purpose_name": purpose_name.strip(),
                   "purpose_year": purpose_year}
            blocks = units.plan(conn, [(pieces, {"account_id": buyer, "subscription_id": sid})])
            eid, digest = self._event(conn, "subscribe", actor, reason,
                                      {"rows": {"ledger_subscription": [row]}, "blocks": blocks})
            self._insert(conn, subscription, eid, [row])
            units.apply(conn, eid, blocks)
        return {**row, "event_id": eid, "hash": digest,
                "serials": [units.format_range(b) for b in blocks["created"]
                            if b["subscription_id"] == sid]}

    def retire(self, account_id: str, *, beneficiary: str, quantity: int | None = None,
               serials: tuple[int, int] | None = None, purpose_kind: str | None = None,
               purpose_name: str | None = None, purpose_year: int | None = None,
               scheme_code: str | None = None, vintage: int | None = None,
               subscription_id: int | None = None, actor: str, reason: str) -> dict[str, Any]:
        """Retire units for a beneficiary and purpose; with ``subscription_id`` the units of
        that subscription (all still held, unless a quantity is given) and its purpose."""
        with self._write() as conn:
            self._account(conn, account_id, kinds=("issuer", "holder"))
            if subscription_id is not None:
                sub = conn.execute(select(subscription).where(
                    subscription.c.subscription_id == subscription_id)).first()
                if sub is None or sub.account_id != account_id:
                    raise NotFound(f"account {account_id} has no subscription {subscription_id}")
                purpose_kind = purpose_kind or sub.purpose_kind
                purpose_name = purpose_name or sub.purpose_name
                purpose_year = purpose_year if purpose_year is not None else sub.purpose_year
                if quantity is None and serials is None:
                    quantity = sum(b["serial_end"] - b["serial_start"] + 1 for b in
                                   units.open_blocks(conn, account_id,
                                                     subscription_id=subscription_id)) or 1
            _check_purpose(purpose_kind, purpose_name, purpose_year)
            pieces = self._take(conn, account_id, quantity=quantity, serials=serials,
                                scheme_code=scheme_code, vintage=vintage,
                                subscription_id=subscription_id)
            rid = units.next_id(conn, retirement.c.retirement_id)
            row = {"retirement_id": rid, "account_id": account_id,
                   "beneficiary": _check_text(beneficiary, "beneficiary"),
                   "purpose_kind": purpose_kind, "purpose_name": purpose_name.strip(),
                   "purpose_year": purpose_year, "quantity": sum(p.units for p in pieces),
                   "subscription_id": subscription_id}
            blocks = units.plan(conn, [(pieces, {"state": "retired", "retirement_id": rid})])
            eid, digest = self._event(conn, "retire", actor, reason,
                                      {"rows": {"ledger_retirement": [row]}, "blocks": blocks})
            self._insert(conn, retirement, eid, [row])
            units.apply(conn, eid, blocks)
        return {**row, "event_id": eid, "verification_code": digest,
                "serials": [units.format_range(b) for b in blocks["created"]
                            if b["retirement_id"] == rid]}

    def cancel(self, account_id: str, *, quantity: int | None = None,
               serials: tuple[int, int] | None = None, scheme_code: str | None = None,
               vintage: int | None = None, actor: str, reason: str) -> dict[str, Any]:
        """Cancel (reverse) held units, e.g. units issued in error. Retired units cannot be."""
        with self._write() as conn:
            self._account(conn, account_id)
            pieces = self._take(conn, account_id, quantity=quantity, serials=serials,
                                scheme_code=scheme_code, vintage=vintage)
            cid = units.next_id(conn, cancellation.c.cancellation_id)
            row = {"cancellation_id": cid, "kind": "reversal", "account_id": account_id,
                   "quantity": sum(p.units for p in pieces), "loss_id": None}
            blocks = units.plan(conn, [(pieces, {"state": "cancelled", "cancellation_id": cid})])
            eid, digest = self._event(conn, "cancel", actor, reason,
                                      {"rows": {"ledger_cancellation": [row]}, "blocks": blocks})
            self._insert(conn, cancellation, eid, [row])
            units.apply(conn, eid, blocks)
        return {**row, "event_id": eid, "hash": digest,
                "serials": [units.format_range(b) for b in blocks["created"]
                            if b["cancellation_id"] == cid]}

    def record_loss(self, parcel_id: str, year: int, tonnes: Any, *, cause: str, actor: str,
                    reason: str) -> dict[str, Any]:
        """A fire or pest loss on a parcel: the units issued for it (vintages up to ``year``,
        less earlier reversals) are covered by cancelling buffer units first; if the buffer is
        short, the parcel's units still unsold are cancelled, and an alert is raised."""
        _check_id(parcel_id, "parcel")
        loss_kg = kg(tonnes, "ceiling")
        if loss_kg <= 0:
            raise Invalid("a loss is more than 0 t")
        with self._write() as conn:
            p = plan_loss(conn, parcel_id, int(year), loss_kg, units_for_kg(loss_kg), cause)
            eid, digest = self._event(conn, "loss", actor, reason, p.data)
            write_loss(conn, eid, p)  # the database checks buffer-first and the alert
        alerts = [{**a, "event_id": eid} for a in p.alerts]
        self._notify(alerts)
        return {"event_id": eid, "hash": digest, "losses": p.losses, "alerts": alerts,
                "cancellations": p.cancellations}


__all__ = ["Ledger", "LedgerError", "token_digest"]
