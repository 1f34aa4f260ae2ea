"""A database that cannot be reached answers 503 with Retry-After (core/unavailable.py), anything else 500."""

from __future__ import annotations


def test_a_database_that_cannot_be_reached_answers_503_with_retry_after(rf):
    from django.db import OperationalError

    from shequ.core.unavailable import server_error

    for path, kind in (("/api/events", "application/json"), ("/", "text/html")):
        try:
            raise OperationalError("connection refused")
        except OperationalError:
            response = server_error(rf.get(path))
        assert (response.status_code, response["Retry-After"]) == (503, "5")
        assert response["Content-Type"].startswith(kind)
        assert "数据库暂时无法访问" in response.content.decode()
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(rf.get("/api/events")).status_code == 500
