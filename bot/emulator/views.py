"""views.open, views.push, views.update and views.publish over the workspace's view store."""

from __future__ import annotations

import time
from typing import Any

from bot.emulator.blockkit import parse_json
from bot.emulator.methods import Args, method, with_block_ids
from bot.emulator.records import SlackError
from bot.emulator.workspace import Workspace

_VIEW_FIELDS = ("title", "close", "submit")


def _hash(ws: Workspace) -> str:
    return f"{int(time.time())}.{ws.new_id('h').lower()}"


def _use_trigger(ws: Workspace, args: Args, name: str) -> None:
    trigger = str(args.get("trigger_id") or args.get("interactivity_pointer") or "")
    if trigger in ws.used_triggers:
        raise SlackError(
            "exchanged_trigger_id", f"{name}: trigger_id {trigger!r} was already used once"
        )
    ws.used_triggers.add(trigger)


def _external_id_free(ws: Workspace, external_id: str, *, view_id: str | None) -> None:
    if not external_id:
        return
    for other in ws.views.values():
        if other["external_id"] == external_id and other["id"] != view_id:
            raise SlackError("duplicate_external_id")


def _render(
    ws: Workspace, spec: dict[str, Any], *, view_id: str, root: str, previous: str | None
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": view_id,
        "team_id": ws.team_id,
        "type": spec.get("type"),
        "blocks": with_block_ids(spec.get("blocks") or [], ws),
        "private_metadata": spec.get("private_metadata", ""),
        "callback_id": spec.get("callback_id", ""),
        "state": {"values": {}},
        "hash": _hash(ws),
        "clear_on_close": bool(spec.get("clear_on_close", False)),
        "notify_on_close": bool(spec.get("notify_on_close", False)),
        "root_view_id": root,
        "previous_view_id": previous,
        "app_id": ws.app_id,
        "external_id": spec.get("external_id", ""),
        "app_installed_team_id": ws.team_id,
        "bot_id": ws.bot_id,
    }
    for key in _VIEW_FIELDS:
        if key in spec:
            view[key] = spec[key]
    return view


def _spec(args: Args) -> dict[str, Any]:
    spec, _ = parse_json(args.get("view"))
    if not isinstance(spec, dict):
        raise SlackError("invalid_arguments")
    return spec


def _open(ws: Workspace, args: Args, name: str) -> dict[str, Any]:
    spec = _spec(args)
    _use_trigger(ws, args, name)
    view_id = ws.new_id("V")
    _external_id_free(ws, str(spec.get("external_id") or ""), view_id=None)
    ws.views[view_id] = _render(ws, spec, view_id=view_id, root=view_id, previous=None)
    return {"view": dict(ws.views[view_id])}


@method("views.open")
def views_open(ws: Workspace, args: Args) -> dict[str, Any]:
    return _open(ws, args, "views.open")


@method("views.push")
def views_push(ws: Workspace, args: Args) -> dict[str, Any]:
    return _open(ws, args, "views.push")


@method("views.update")
def views_update(ws: Workspace, args: Args) -> dict[str, Any]:
    spec = _spec(args)
    current: dict[str, Any] | None = None
    if args.get("view_id"):
        current = ws.views.get(str(args["view_id"]))
    elif args.get("external_id"):
        wanted = str(args["external_id"])
        current = next((v for v in ws.views.values() if v["external_id"] == wanted), None)
    if current is None:
        raise SlackError("not_found")
    if args.get("hash") and args["hash"] != current["hash"]:
        raise SlackError("hash_conflict")
    _external_id_free(ws, str(spec.get("external_id") or ""), view_id=current["id"])
    if "external_id" not in spec and current["external_id"]:
        spec = {**spec, "external_id": current["external_id"]}
    view = _render(
        ws,
        spec,
        view_id=current["id"],
        root=current["root_view_id"],
        previous=current["previous_view_id"],
    )
    ws.views[current["id"]] = view
    return {"view": dict(view)}


@method("views.publish")
def views_publish(ws: Workspace, args: Args) -> dict[str, Any]:
    spec = _spec(args)
    user_id = str(args.get("user_id") or "")
    if ws.known_user(user_id) is None:
        raise SlackError("user_not_found")
    view_id = ws.home.get(user_id)
    if view_id is not None and args.get("hash") and args["hash"] != ws.views[view_id]["hash"]:
        raise SlackError("hash_conflict")
    if view_id is None:
        view_id = ws.new_id("V")
        ws.home[user_id] = view_id
    _external_id_free(ws, str(spec.get("external_id") or ""), view_id=view_id)
    ws.views[view_id] = _render(ws, spec, view_id=view_id, root=view_id, previous=None)
    return {"view": dict(ws.views[view_id])}
