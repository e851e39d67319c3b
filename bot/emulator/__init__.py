"""Slack's Web API emulated locally over real HTTP, checked against Slack's method reference.

One workspace by default: `SlackEmulator(token=...)` is team T0001 with bot UBOT, and every
method taking `team_id=None` means that one. More of the API:

- Workspaces: `add_workspace("T0002", bot_token="xoxb-…", enterprise_id=None, name=…,
  agent_view=False)` gives a team its own users, channels, DMs, messages, views and rate
  limits; `add_user`, `add_channel`, `im_channel`, `messages`, `ephemeral_messages`,
  `home_view`, `view`, `response_url` take `team_id=`. Each call is routed to a workspace by
  its token; an unknown token gets `invalid_auth`, a revoked one `token_revoked` (or
  `account_inactive`, a bot token of an uninstalled app). `Call.team_id` (and
  `enterprise_id`) says where a call went; `find_calls(..., team_id=)` filters by it.
- Limits per workspace, as Slack counts them: `rate_limit(..., team_id=None)` and
  `rate_limit_channels(..., team_id=None)` set a limit for every workspace (each with its
  own allowance) or for one; `inject(..., team_id=)` fails only that workspace's calls.
- Enterprise organisations: `add_enterprise("E…", name=…, bot_token=…)` (an org-wide
  install, `is_enterprise_install`); workspaces added with its `enterprise_id` share their
  users (user IDs are org-wide) and the app's W… bot user. An org-wide token acts on the
  workspace its `team_id` names (or whose channel it addresses); `team_not_found` otherwise.
- OAuth v2: `issue_code(team_id or enterprise_id, user_id=, scope=, user_scope=,
  redirect_uri=)` stands in for the person pressing *Allow*; `authorize_url(team_id=,
  scope=, state=, redirect_uri=)` is the consent page at a loopback URL, redirecting with a
  code and the state (`authorization_url` is its address, for Bolt's `OAuthSettings`; the
  redirect must be one of `configure_oauth(redirect_uris=…)`). `oauth.v2.access` (HTTP
  Basic or form credentials, `client_id` and `client_secret` from `configure_oauth`,
  defaults `installs.CLIENT_ID`/`CLIENT_SECRET`) exchanges a code once (`invalid_code`
  after), refuses `bad_client_secret`, `invalid_client_id`, `bad_redirect_uri`, and answers
  Slack's shape. `bot_token(team_id)` is the live token. `auth.test` answers per token,
  `auth.teams.list` with the workspaces an install reaches; `auth.revoke` and
  `apps.uninstall` revoke.
- Events for tests to post with `SlackSender.post_json`: `uninstall(team_id)` revokes the
  installation's tokens and returns the `tokens_revoked` and `app_uninstalled` envelopes;
  `assistant_thread_started(user_id, team_id=, context_channel=)` opens a thread in the
  user's DM; `assistant_thread_context_changed(channel, thread_ts, context_channel=)`.
  `events` lists every envelope built (including those from `auth.revoke` and
  `apps.uninstall` calls).
- Assistant methods: `assistant.threads.setSuggestedPrompts` (1 to 4 prompts of title and
  message), `setStatus` (an empty status clears; at most 10 loading messages) and `setTitle`,
  checked against the reference; a workspace without `agent_view` (`set_agent_view`) gets
  `not_agent_app`. `assistant_thread(channel, thread_ts, team_id=)` shows what was set.

- Faults a retry cannot see through: `inject(..., applied=True)` makes the call take effect
  and answers it with the 5xx anyway (Slack posted, the answer was lost); `inject(...,
  channel=, where=)` fails only calls to one conversation (a user ID matches their DM) or
  whose arguments `where` accepts; `hold(method, applied=…)` keeps the next call in flight
  (after or before it takes effect) until `release()`, for a test that kills the caller.
- Message metadata (`event_type`, `event_payload`) is checked and kept as Slack keeps it;
  `conversations.history` and `conversations.replies` show it only with
  `include_all_metadata`, and take `oldest` (and `latest`, `inclusive`). Ephemeral messages
  keep none.

`reset()` empties every workspace's messages and the recorded calls; workspaces, users,
tokens and their revocations stay.
"""

from bot.emulator.emulator import SlackEmulator
from bot.emulator.records import Call, ResponsePost
from bot.emulator.reference import Reference

__all__ = ["Call", "Reference", "ResponsePost", "SlackEmulator"]
