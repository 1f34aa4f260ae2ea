from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from shequ.access.management.commands.issue_token import TOKEN_CHANNELS
from shequ.access.models import ApiToken
from shequ.access.scopes import user_for_token
from shequ.events.models import Channel


def issue(*args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("issue_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip()


def test_it_prints_a_key_that_authenticates_once_issued(world):
    key = issue("hotline", "--name", "12345 bridge", "--channel", "hotline")
    user, token = user_for_token(key)
    assert (user, token.name, token.channel) == (world.system, "12345 bridge", "hotline")
    assert token.key_hash == ApiToken.hash(key) and key not in token.key_hash


def test_issuing_a_token_is_on_the_audit_trail_without_the_key(world):
    from shequ.audit.models import AuditEntry

    key = issue("hotline", "--name", "12345 bridge")
    entry = AuditEntry.objects.get(action="token_issue")
    assert (entry.channel, entry.detail["user"], entry.detail["prefix"]) == ("command", "hotline", key[:8])
    assert key not in str(entry.detail)


def test_it_refuses_an_unknown_user_or_channel_and_issues_nothing(world):
    with pytest.raises(CommandError):
        issue("nobody", "--name", "x")
    with pytest.raises(CommandError):
        issue("hotline", "--name", "x", "--channel", "fax")
    with pytest.raises(CommandError):
        issue("hotline", "--name", "  ")
    assert ApiToken.objects.count() == 0


def test_it_offers_exactly_the_event_channels_other_systems_report_on():
    # "alert" events come only from residents answering an alert with "I need help", never through a token.
    assert set(TOKEN_CHANNELS) == set(Channel.values) - {Channel.ALERT}


def test_it_lets_a_hotline_token_report_on_the_hotline_channel(world, client):
    key = issue("hotline", "--name", "12345 bridge", "--channel", "hotline")
    lon, lat = world.point_in(world.g4)
    resp = client.post(
        "/api/events",
        {"description": "噪声扰民", "category": "0201", "lon": lon, "lat": lat},
        content_type="application/json",
        headers={"X-API-Key": key},
    )
    assert resp.status_code == 201 and resp.json()["channel"] == "hotline"
