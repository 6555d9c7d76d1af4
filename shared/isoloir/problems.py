"""Problem details (RFC 9457): the one error family every service answers with."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://isoloir.fr/problems/"

log = logging.getLogger("isoloir.problems")


class FieldError(BaseModel):
    """One rejected field and why."""

    field: str
    reason: str


class ProblemDocument(BaseModel):
    """The body of every error response."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None


class Problem(Exception):
    """An error the API reports to its caller; subclasses fix status and title."""

    status: int = 400
    title: str = "Bad request"
    slug: str = "bad-request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.extra = extra or {}
        self.headers = headers

    def document(self) -> dict[str, Any]:
        """Return the problem+json body."""
        body = ProblemDocument(
            type=TYPE_BASE + self.slug,
            title=self.title,
            status=self.status,
            detail=self.detail,
            errors=self.errors,
        ).model_dump(exclude_none=True)
        body.update(self.extra)
        return body


class BadRequest(Problem):
    status, title, slug = 400, "Bad request", "bad-request"


class MalformedBody(Problem):
    status, title, slug = 400, "Malformed request body", "malformed-body"


class Unauthorized(Problem):
    status, title, slug = 401, "Authentication required", "unauthorized"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kwargs)


class Forbidden(Problem):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(Problem):
    status, title, slug = 404, "Not found", "not-found"


class MethodNotAllowed(Problem):
    status, title, slug = 405, "Method not allowed", "method-not-allowed"


class Conflict(Problem):
    status, title, slug = 409, "Conflict", "conflict"


class Gone(Problem):
    status, title, slug = 410, "Gone", "gone"


class PayloadTooLarge(Problem):
    status, title, slug = 413, "Request body too large", "payload-too-large"


class UnsupportedMediaType(Problem):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


class Unprocessable(Problem):
    status, title, slug = 422, "Validation failed", "validation-failed"


class ComplianceRefusal(Problem):
    """A request the compliance rules forbid; `rule` names the rule (R1..R17)."""

    status, title, slug = 422, "Refused by a compliance rule", "compliance-refusal"

    def __init__(self, detail: str, *, rule: str, **kwargs: Any) -> None:
        extra = dict(kwargs.pop("extra", None) or {})
        extra["rule"] = rule
        super().__init__(detail, extra=extra, **kwargs)


class TooManyRequests(Problem):
    status, title, slug = 429, "Too many requests", "too-many-requests"


class ServiceUnavailable(Problem):
    status, title, slug = 503, "Service unavailable", "service-unavailable"


def field_error(field: str, reason: str) -> Unprocessable:
    """Return a 422 problem for one field."""
    return Unprocessable(f"{field}: {reason}", errors=[FieldError(field=field, reason=reason)])


def problem_response(problem: Problem) -> JSONResponse:
    """Render a problem as a problem+json response."""
    return JSONResponse(
        problem.document(),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


def _location(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    return ".".join(parts) if parts else "body"


_REASONS = {
    "missing": "this field is required",
    "extra_forbidden": "unknown field",
}


def _validation_problem(exc: RequestValidationError) -> Problem:
    errors = exc.errors()
    for err in errors:
        if err.get("type") == "json_invalid":
            reason = err.get("ctx", {}).get("error") or err.get("msg", "invalid JSON")
            return MalformedBody(
                f"The body is not valid JSON: {reason}",
                errors=[FieldError(field="body", reason=f"malformed JSON: {reason}")],
            )
    fields = [
        FieldError(
            field=_location(err.get("loc", ())),
            reason=_REASONS.get(str(err.get("type")), str(err.get("msg", "invalid value"))),
        )
        for err in errors
    ]
    summary = "; ".join(f"{f.field}: {f.reason}" for f in fields[:5])
    return Unprocessable(summary or "the request is not valid", errors=fields)


_HTTP_PROBLEMS: dict[int, type[Problem]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: Unprocessable,
    429: TooManyRequests,
    503: ServiceUnavailable,
}


def _http_problem(exc: StarletteHTTPException) -> Problem:
    cls = _HTTP_PROBLEMS.get(exc.status_code)
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    if cls is None:
        problem = Problem(detail)
        problem.status = exc.status_code
        problem.title = detail
        return problem
    return cls(detail, headers=getattr(exc, "headers", None))


def install(app: FastAPI) -> None:
    """Render every error of the app as problem+json."""

    async def on_problem(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc)

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(_validation_problem(exc))

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return problem_response(_http_problem(exc))

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception(
            "unhandled error", extra={"route": request.scope.get("route_path", request.url.path)}
        )
        problem = Problem("An unexpected error occurred; it has been logged.")
        problem.status, problem.title, problem.slug = 500, "Internal error", "internal-error"
        return problem_response(problem)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)


def responses(*problems: type[Problem]) -> dict[int | str, dict[str, Any]]:
    """Declare a route's error responses in the OpenAPI document."""
    out: dict[int | str, dict[str, Any]] = {}
    classes: tuple[type[Problem], ...] = (Unprocessable, *problems)
    for cls in classes:
        out[cls.status] = {
            "model": ProblemDocument,
            "description": cls.title,
            "content": {PROBLEM_MEDIA_TYPE: {}},
        }
    return out
