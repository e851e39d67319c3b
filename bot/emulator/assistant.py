"""The assistant.threads.* methods of Slack's agent messaging experience, per workspace."""

from __future__ import annotations

from typing import Any

from bot.emulator.blockkit import parse_json
from bot.emulator.methods import Args, method
from bot.emulator.records import SlackError
from bot.emulator.workspace import Workspace

# Slack's documentation for setSuggestedPrompts allows at most four prompts; the reference's
# setStatus description caps loading_messages at ten.
MAX_PROMPTS = 4
MAX_LOADING_MESSAGES = 10
# The reference lists not_agent_app under setSuggestedPrompts: the error for an app without
# the agent feature. The feature belongs to the app, so the other two answer it as well.
NOT_AGENT = "not_agent_app"


def args_to_check(name: str, args: Args) -> Args:
    """The args to check against the reference: an empty setStatus status clears the status.

    The reference marks `status` required, and Slack reads an empty one as "clear it", so the
    empty string is not an absent argument there.
    """
    if name == "assistant.threads.setStatus" and args.get("status") == "":
        return {**args, "status": "(cleared)"}
    return args


def _thread(ws: Workspace, args: Args, *, needed: bool = True) -> dict[str, Any] | None:
    if not ws.agent_view:
        raise SlackError(NOT_AGENT)
    channel = ws.channel(args.get("channel_id"))
    thread_ts = args.get("thread_ts")
    if not thread_ts:
        if needed:
            raise SlackError("invalid_thread_ts", "thread_ts is missing")
        return None
    key = (channel.id, str(thread_ts))
    if key not in ws.assistant_threads:
        try:
            ws.message(channel.id, str(thread_ts))
        except SlackError:
            raise SlackError(
                "invalid_thread_ts", f"no assistant thread {thread_ts} in {channel.id}"
            ) from None
        ws.assistant_threads[key] = {"user": None}
    return ws.assistant_threads[key]


def _strings(value: Any, what: str, *, limit: int) -> list[str]:
    items, problem = parse_json(value)
    if problem or not isinstance(items, list):
        raise SlackError("invalid_arguments", f"{what} must be a JSON array")
    if len(items) > limit:
        raise SlackError("invalid_arguments", f"{what}: {len(items)} given, at most {limit}")
    if not all(isinstance(item, str) and item for item in items):
        raise SlackError("invalid_arguments", f"{what} must hold non-empty strings")
    return items


@method("assistant.threads.setSuggestedPrompts")
def set_suggested_prompts(ws: Workspace, args: Args) -> dict[str, Any]:
    thread = _thread(ws, args, needed=False)
    prompts, problem = parse_json(args.get("prompts"))
    if problem or not isinstance(prompts, list) or not prompts:
        raise SlackError("invalid_arguments", "prompts must be a non-empty JSON array")
    if len(prompts) > MAX_PROMPTS:
        raise SlackError(
            "invalid_arguments", f"prompts: {len(prompts)} given, at most {MAX_PROMPTS}"
        )
    for index, prompt in enumerate(prompts):
        if not isinstance(prompt, dict) or set(prompt) - {"title", "message"}:
            raise SlackError("invalid_arguments", f"prompts[{index}] must be {{title, message}}")
        for key in ("title", "message"):
            if not isinstance(prompt.get(key), str) or not prompt[key].strip():
                raise SlackError("invalid_arguments", f"prompts[{index}].{key} must be text")
    title = args.get("title")
    if title is not None and not isinstance(title, str):
        raise SlackError("invalid_arguments", "title must be a string")
    shown = {"title": title, "prompts": [dict(p) for p in prompts]}
    if thread is not None:
        thread["suggested_prompts"] = shown
    else:
        ws.assistant_threads.setdefault((ws.channel(args["channel_id"]).id, ""), {}).update(
            suggested_prompts=shown
        )
    return {}


@method("assistant.threads.setStatus")
def set_status(ws: Workspace, args: Args) -> dict[str, Any]:
    thread = _thread(ws, args)
    assert thread is not None
    status = args.get("status")
    if not isinstance(status, str):
        raise SlackError("invalid_arguments", "status must be a string")
    loading = args.get("loading_messages")
    messages = None
    if loading not in (None, ""):
        messages = _strings(loading, "loading_messages", limit=MAX_LOADING_MESSAGES)
    thread["status"] = status or None
    thread["loading_messages"] = messages if status else None
    thread.setdefault("statuses", []).append(status)
    return {}


@method("assistant.threads.setTitle")
def set_title(ws: Workspace, args: Args) -> dict[str, Any]:
    thread = _thread(ws, args)
    assert thread is not None
    title = args.get("title")
    if not isinstance(title, str) or not title.strip():
        raise SlackError("invalid_arguments", "title must be non-empty text")
    thread["title"] = title
    return {}
