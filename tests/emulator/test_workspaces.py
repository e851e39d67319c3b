"""Several workspaces in one emulator: tokens routed to their own team, users, channels, limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.emulator import SlackEmulator
from tests.emulator.support import ALICE, TOKEN, slack_error

OTHER = "xoxb-second-workspace"
ORG = "xoxb-org-wide-install"
ZED = "UZED"


@pytest.fixture
def emu() -> Iterator[SlackEmulator]:
    with SlackEmulator(token=TOKEN) as emu:
        emu.add_user(ALICE, name="alice")
        emu.add_channel("CFIRST")
        emu.add_workspace("T0002", bot_token=OTHER, name="Second Force")
        emu.add_user(ZED, name="zed", team_id="T0002")
        emu.add_channel("CSECOND", team_id="T0002")
        yield emu


def clients(emu: SlackEmulator) -> tuple[WebClient, WebClient]:
    return WebClient(token=TOKEN, base_url=emu.api_url), WebClient(
        token=OTHER, base_url=emu.api_url
    )


def test_each_token_reaches_its_own_workspace(emu: SlackEmulator) -> None:
    first, second = clients(emu)
    one, two = first.auth_test(), second.auth_test()
    assert (one["team_id"], one["user_id"], one["bot_id"]) == ("T0001", "UBOT", "B0001")
    assert two["team_id"] == "T0002" and two["team"] == "Second Force"
    assert two["user_id"] == emu.bot_user("T0002") != "UBOT" and two["bot_id"] != one["bot_id"]
    assert one["is_enterprise_install"] is False and "enterprise_id" not in one

    second.chat_postMessage(channel="CSECOND", text="for the second force")
    assert slack_error(lambda: first.chat_postMessage(channel="CSECOND", text="x")).response[
        "error"
    ] == ("channel_not_found")
    assert slack_error(lambda: second.users_info(user=ALICE)).response["error"] == (
        "user_not_found"
    )
    assert second.users_info(user=ZED)["user"]["team_id"] == "T0002"
    assert [m["text"] for m in emu.messages("CSECOND", team_id="T0002")] == ["for the second force"]
    assert emu.messages("CSECOND") == []  # the default workspace has no such channel

    dm_first, dm_second = emu.im_channel(ALICE), emu.im_channel(ZED, team_id="T0002")
    assert dm_first != dm_second  # conversation IDs never clash across workspaces
    posted = emu.find_calls("chat.postMessage", ok=True)
    assert [(c.team_id, c.args["channel"]) for c in posted] == [("T0002", "CSECOND")]
    assert {c.team_id for c in emu.find_calls("auth.test")} == {"T0001", "T0002"}
    assert [c.method for c in emu.find_calls(team_id="T0001")] == [
        "auth.test",
        "chat.postMessage",
    ]


def test_a_token_for_no_workspace_or_a_revoked_one_is_refused(emu: SlackEmulator) -> None:
    stranger = WebClient(token="xoxb-nobody", base_url=emu.api_url)
    assert slack_error(stranger.auth_test).response["error"] == "invalid_auth"
    assert emu.find_calls("auth.test")[0].team_id is None
    first, second = clients(emu)
    assert second.auth_revoke(test=True)["revoked"] is False
    assert second.auth_test()["ok"]  # test mode leaves the token working
    assert second.auth_revoke()["revoked"] is True
    assert slack_error(second.auth_test).response["error"] == "token_revoked"
    assert first.auth_test()["ok"]  # the other workspace's token is untouched
    (revoked,) = emu.events
    assert revoked["team_id"] == "T0002" and revoked["event"]["type"] == "tokens_revoked"
    assert revoked["event"]["tokens"] == {"bot": [emu.bot_user("T0002")]}


def test_rate_limits_are_counted_per_workspace(emu: SlackEmulator) -> None:
    first, second = clients(emu)
    emu.rate_limit("chat.postMessage", per_minute=6, burst=2)
    for _ in range(2):
        first.chat_postMessage(channel="CFIRST", text="a")
    limited = slack_error(lambda: first.chat_postMessage(channel="CFIRST", text="a"))
    assert limited.response.status_code == 429 and limited.response["error"] == "ratelimited"
    for _ in range(2):  # the second workspace still has its whole allowance
        assert second.chat_postMessage(channel="CSECOND", text="b")["ok"]
    assert {c.team_id for c in emu.find_calls("chat.postMessage", ok=False)} == {"T0001"}

    emu.rate_limit("users.info", per_minute=1, burst=1, team_id="T0002")
    for _ in range(3):
        assert first.users_info(user=ALICE)["ok"]  # the limit is the second workspace's alone
    second.users_info(user=ZED)
    assert slack_error(lambda: second.users_info(user=ZED)).response.status_code == 429


def test_injected_faults_can_target_one_workspace(emu: SlackEmulator) -> None:
    first, second = clients(emu)
    emu.inject("chat.postMessage", status=503, team_id="T0002")
    assert first.chat_postMessage(channel="CFIRST", text="a")["ok"]
    failed = slack_error(lambda: second.chat_postMessage(channel="CSECOND", text="b"))
    assert failed.response.status_code == 503
    assert second.chat_postMessage(channel="CSECOND", text="b")["ok"]


def test_a_team_id_for_another_workspace_is_a_misuse(emu: SlackEmulator) -> None:
    crossed = WebClient(token=TOKEN, base_url=emu.api_url, team_id="T0002")
    error = slack_error(lambda: crossed.chat_postMessage(channel="CFIRST", text="x"))
    assert error.response["error"] == "invalid_arguments"
    assert emu.violations == ["chat.postMessage: unknown argument 'team_id'"]


def test_an_enterprise_org_shares_users_and_has_an_org_wide_token(emu: SlackEmulator) -> None:
    emu.add_enterprise("E0001", name="Police Org", bot_token=ORG)
    emu.add_workspace("T0101", enterprise_id="E0001", name="North")
    emu.add_workspace("T0102", enterprise_id="E0001", name="South")
    emu.add_user("WOFFICER", name="officer", team_id="T0101")
    emu.add_channel("CNORTH", team_id="T0101")
    emu.add_channel("CSOUTH", team_id="T0102")
    assert emu.bot_user("T0101") == emu.bot_user("T0102")
    assert emu.bot_user("T0101").startswith("W")

    org = WebClient(token=ORG, base_url=emu.api_url)
    whole = org.auth_test()
    assert whole["is_enterprise_install"] is True and whole["enterprise_id"] == "E0001"
    assert whole["team_id"] == "E0001" and whole["team"] == "Police Org"
    south = WebClient(token=ORG, base_url=emu.api_url, team_id="T0102")
    assert south.auth_test()["team_id"] == "T0102"
    teams = org.auth_teams_list()["teams"]
    assert teams == [{"id": "T0101", "name": "North"}, {"id": "T0102", "name": "South"}]
    assert [t["id"] for t in org.auth_teams_list(limit=1)["teams"]] == ["T0101"]
    assert WebClient(token=OTHER, base_url=emu.api_url).auth_teams_list()["teams"] == [
        {"id": "T0002", "name": "Second Force"}
    ]
    # a user of one workspace is known across the organisation
    assert south.users_info(user="WOFFICER")["user"]["id"] == "WOFFICER"
    south.chat_postMessage(channel="CSOUTH", text="south")
    org.chat_postMessage(channel="CNORTH", text="north")  # found by its channel
    assert [c.team_id for c in emu.find_calls("chat.postMessage")] == ["T0102", "T0101"]
    assert [c.enterprise_id for c in emu.find_calls("chat.postMessage")] == ["E0001"] * 2
    assert [m["text"] for m in emu.messages("CNORTH", team_id="T0101")] == ["north"]
    # a team outside the organisation, or a workspace's channel from another, is refused
    elsewhere = WebClient(token=ORG, base_url=emu.api_url, team_id="T0002")
    assert slack_error(elsewhere.auth_test).response["error"] == "team_not_found"
    assert slack_error(lambda: south.chat_postMessage(channel="CNORTH", text="x")).response[
        "error"
    ] == ("channel_not_found")
    # the default workspace's users are not the organisation's
    assert slack_error(lambda: south.users_info(user=ALICE)).response["error"] == ("user_not_found")
