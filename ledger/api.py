"""The ledger's HTTP API (FastAPI). Served by ``sinkwatch ledger serve`` (the ``ledger-api``
compose service). Authentication: ``Authorization: Bearer <token>``; tokens are created with
``sinkwatch ledger user add NAME --role officer|buyer [--account ACCOUNT]`` and only their
SHA-256 is stored. Roles: ``officer`` (bureau officer: every operation) and ``buyer`` (read-only:
the statement, retirements and certificates of its own account).

Refusals come back as ``{"error": <code>, "detail": <why>}`` with 409 (a ledger rule), 404,
403, 422 (bad input) or 503 (busy)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from ledger import reports
from ledger.errors import Forbidden, LedgerError
from ledger.service import Ledger
from ledger.verify import verify


class _Write(BaseModel):
    reason: str = Field(min_length=1, description="why (kept in the event)")


class AccountIn(_Write):
    account_id: str
    name: str


class CreditableIn(_Write):
    parcel_id: str
    vintage: int
    scheme_code: str
    net_removals_t: Decimal
    deductions_t: Decimal = Decimal(0)
    source: str


class IssueIn(_Write):
    scheme_code: str
    vintage: int
    parcels: dict[str, int | None] = Field(description="parcel -> units (null: all left)")
    project: str
    account_id: str = "BUREAU"


class _Units(_Write):
    quantity: int | None = None
    serial_start: int | None = None
    serial_end: int | None = None
    scheme_code: str | None = None
    vintage: int | None = None

    def serials(self) -> tuple[int, int] | None:
        if self.serial_start is None and self.serial_end is None:
            return None
        start = self.serial_start if self.serial_start is not None else self.serial_end
        return start, self.serial_end if self.serial_end is not None else start


class TransferIn(_Units):
    from_account: str
    to_account: str


class SubscribeIn(_Write):
    account_id: str
    quantity: int
    purpose_kind: str
    purpose_name: str
    purpose_year: int | None = None
    scheme_code: str = "LOCAL"
    seller_account_id: str = "BUREAU"


class RetireIn(_Units):
    account_id: str
    beneficiary: str
    purpose_kind: str | None = None
    purpose_name: str | None = None
    purpose_year: int | None = None
    subscription_id: int | None = None


class CancelIn(_Units):
    account_id: str


class LossIn(_Write):
    parcel_id: str
    year: int
    tonnes: Decimal
    cause: str


_bearer = HTTPBearer(auto_error=False)


def _ledger(request: Request) -> Ledger:
    return request.app.state.ledger


def current_user(request: Request,
                 creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
                 ) -> dict[str, Any]:
    user = _ledger(request).authenticate(creds.credentials) if creds else None
    if user is None:
        raise HTTPException(401, "a valid bearer token is required",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


def officer(user: Annotated[dict, Depends(current_user)]) -> dict[str, Any]:
    if user["role"] != "officer":
        raise Forbidden("this needs the officer role (buyers are read-only)")
    return user


def may_read(user: dict, account_id: str) -> None:
    if user["role"] != "officer" and user["account_id"] != account_id:
        raise Forbidden(f"user {user['user_name']} may read account {user['account_id']} only")


User = Annotated[dict, Depends(current_user)]
Officer = Annotated[dict, Depends(officer)]


def create_app(ledger: Ledger | None = None) -> FastAPI:
    led = ledger or Ledger.open()
    # no /docs or /redoc: those pages load their scripts from a CDN (the server is offline)
    app = FastAPI(title="sinkwatch carbon-offset ledger", version="1", description=__doc__,
                  docs_url=None, redoc_url=None)
    app.state.ledger = led

    @app.exception_handler(LedgerError)
    def _refused(_request: Request, exc: LedgerError) -> JSONResponse:
        return JSONResponse(status_code=exc.http_status,
                            content={"error": exc.code, "detail": str(exc)})

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        from ledger.chain import head

        with led.read() as conn:
            event_id, digest = head(conn)
        return {"ok": True, "head_event_id": event_id, "head_hash": digest}

    @app.get("/me")
    def me(user: User) -> dict[str, Any]:
        return {k: user[k] for k in ("user_name", "role", "account_id")}

    @app.post("/accounts", status_code=201)
    def add_account(body: AccountIn, user: Officer) -> dict[str, Any]:
        return led.register_account(body.account_id, body.name, actor=user["user_name"],
                                    reason=body.reason)

    @app.post("/creditable")
    def set_creditable(body: CreditableIn, user: Officer) -> dict[str, Any]:
        return led.set_creditable(body.parcel_id, body.vintage, body.scheme_code,
                                  body.net_removals_t, body.deductions_t, source=body.source,
                                  actor=user["user_name"], reason=body.reason)

    @app.post("/issuances", status_code=201)
    def issue(body: IssueIn, user: Officer) -> dict[str, Any]:
        return led.issue(body.scheme_code, body.vintage, body.parcels, project=body.project,
                         account_id=body.account_id, actor=user["user_name"],
                         reason=body.reason)

    @app.post("/transfers", status_code=201)
    def transfer(body: TransferIn, user: Officer) -> dict[str, Any]:
        return led.transfer(body.from_account, body.to_account, quantity=body.quantity,
                            serials=body.serials(), scheme_code=body.scheme_code,
                            vintage=body.vintage, actor=user["user_name"], reason=body.reason)

    @app.post("/subscriptions", status_code=201)
    def subscribe(body: SubscribeIn, user: Officer) -> dict[str, Any]:
        return led.subscribe(body.account_id, body.quantity, purpose_kind=body.purpose_kind,
                             purpose_name=body.purpose_name, purpose_year=body.purpose_year,
                             scheme_code=body.scheme_code, seller=body.seller_account_id,
                             actor=user["user_name"], reason=body.reason)

    @app.post("/retirements", status_code=201)
    def retire(body: RetireIn, user: Officer) -> dict[str, Any]:
        return led.retire(body.account_id, beneficiary=body.beneficiary,
                          quantity=body.quantity, serials=body.serials(),
                          purpose_kind=body.purpose_kind, purpose_name=body.purpose_name,
                          purpose_year=body.purpose_year, scheme_code=body.scheme_code,
                          vintage=body.vintage, subscription_id=body.subscription_id,
                          actor=user["user_name"], reason=body.reason)

    @app.post("/cancellations", status_code=201)
    def cancel(body: CancelIn, user: Officer) -> dict[str, Any]:
        return led.cancel(body.account_id, quantity=body.quantity, serials=body.serials(),
                          scheme_code=body.scheme_code, vintage=body.vintage,
                          actor=user["user_name"], reason=body.reason)

    @app.post("/losses", status_code=201)
    def record_loss(body: LossIn, user: Officer) -> dict[str, Any]:
        return led.record_loss(body.parcel_id, body.year, body.tonnes, cause=body.cause,
                               actor=user["user_name"], reason=body.reason)

    @app.get("/accounts/{account_id}/statement")
    def statement(account_id: str, user: User) -> dict[str, Any]:
        may_read(user, account_id)
        with led.read() as conn:
            return reports.statement(conn, account_id)

    @app.get("/retirements/{retirement_id}/certificate", response_class=HTMLResponse)
    def certificate(retirement_id: int, user: User) -> HTMLResponse:
        with led.read() as conn:
            may_read(user, reports.retirement_owner(conn, retirement_id))
            data = reports.certificate_data(conn, retirement_id)
        return HTMLResponse(reports.certificate_html(data))

    @app.get("/verify")
    def verify_ledger(user: Officer) -> dict[str, Any]:
        with led.read() as conn:
            return verify(conn)

    return app
