"""Block Kit limits, as Slack enforces them: the emulation rejects what Slack would reject."""

from __future__ import annotations

from typing import Any

MESSAGE_BLOCKS, VIEW_BLOCKS = 50, 100
BLOCK_TYPES = {"section", "divider", "image", "actions", "context", "input", "header",
               "rich_text", "video", "file", "markdown"}
PLAIN_ONLY = "plain_text"


def _text(obj: Any, where: str, limit: int, out: list[str], *, plain_only: bool = False) -> None:
    if not isinstance(obj, dict):
        out.append(f"{where}: a text object is required")
        return
    kind, text = obj.get("type"), obj.get("text")
    if kind not in ("plain_text", "mrkdwn"):
        out.append(f"{where}: text type must be plain_text or mrkdwn, got {kind!r}")
    if plain_only and kind != PLAIN_ONLY:
        out.append(f"{where}: must be plain_text")
    if not isinstance(text, str) or not text:
        out.append(f"{where}: text must be a non-empty string")
    elif len(text) > limit:
        out.append(f"{where}: text is {len(text)} characters, over the limit of {limit}")


def _element(el: Any, where: str, out: list[str]) -> None:
    if not isinstance(el, dict) or "type" not in el:
        out.append(f"{where}: an element needs a type")
        return
    if len(str(el.get("action_id", ""))) > 255:
        out.append(f"{where}: action_id over 255 characters")
    if el["type"] == "button":
        _text(el.get("text"), f"{where}.text", 75, out, plain_only=True)
        if len(str(el.get("value", ""))) > 2000:
            out.append(f"{where}: button value over 2000 characters")
        if len(str(el.get("url", ""))) > 3000:
            out.append(f"{where}: button url over 3000 characters")
        if el.get("style") not in (None, "primary", "danger"):
            out.append(f"{where}: button style must be primary or danger")
    elif "placeholder" in el:
        _text(el["placeholder"], f"{where}.placeholder", 150, out, plain_only=True)


def check_blocks(blocks: Any, *, surface: str) -> list[str]:
    """Problems with `blocks` on a message or a view (`surface` is "message", "modal", "home")."""
    out: list[str] = []
    if not isinstance(blocks, list):
        return ["blocks must be a list"]
    limit = MESSAGE_BLOCKS if surface == "message" else VIEW_BLOCKS
    if len(blocks) > limit:
        out.append(f"{len(blocks)} blocks, over the limit of {limit} for a {surface}")
    ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]"
        if not isinstance(block, dict):
            out.append(f"{where}: a block must be an object")
            continue
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            out.append(f"{where}: unknown block type {kind!r}")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if len(str(block_id)) > 255:
                out.append(f"{where}: block_id over 255 characters")
            if block_id in ids:
                out.append(f"{where}: duplicate block_id {block_id!r}")
            ids.add(str(block_id))
        if kind == "section":
            if "text" not in block and "fields" not in block:
                out.append(f"{where}: a section needs text or fields")
            if "text" in block:
                _text(block["text"], f"{where}.text", 3000, out)
            fields = block.get("fields") or []
            if len(fields) > 10:
                out.append(f"{where}: more than 10 fields")
            for j, f in enumerate(fields):
                _text(f, f"{where}.fields[{j}]", 2000, out)
            if "accessory" in block:
                _element(block["accessory"], f"{where}.accessory", out)
        elif kind == "header":
            _text(block.get("text"), f"{where}.text", 150, out, plain_only=True)
        elif kind == "context":
            elements = block.get("elements") or []
            if not elements or len(elements) > 10:
                out.append(f"{where}: context needs 1 to 10 elements")
            for j, el in enumerate(elements):
                if isinstance(el, dict) and el.get("type") in ("plain_text", "mrkdwn"):
                    _text(el, f"{where}.elements[{j}]", 3000, out)
                elif not (isinstance(el, dict) and el.get("type") == "image"):
                    out.append(f"{where}.elements[{j}]: context takes text or image elements")
        elif kind == "actions":
            elements = block.get("elements") or []
            if not elements or len(elements) > 25:
                out.append(f"{where}: actions needs 1 to 25 elements")
            for j, el in enumerate(elements):
                _element(el, f"{where}.elements[{j}]", out)
        elif kind == "input":
            if surface == "message":
                out.append(f"{where}: input blocks belong in modals")
            _text(block.get("label"), f"{where}.label", 2000, out, plain_only=True)
            if "element" not in block:
                out.append(f"{where}: input needs an element")
            else:
                _element(block["element"], f"{where}.element", out)
    return out


def check_view(view: Any) -> list[str]:
    """Problems with a modal or App Home view."""
    if not isinstance(view, dict):
        return ["view must be an object"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [f"view type must be modal or home, got {kind!r}"]
    out = check_blocks(view.get("blocks", []), surface=kind)
    if kind == "modal":
        _text(view.get("title"), "view.title", 24, out, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                _text(view[key], f"view.{key}", 24, out, plain_only=True)
        has_input = any(isinstance(b, dict) and b.get("type") == "input"
                        for b in view.get("blocks", []))
        if has_input and "submit" not in view:
            out.append("view: a modal with inputs needs a submit button")
    if len(str(view.get("callback_id", ""))) > 255:
        out.append("view.callback_id over 255 characters")
    if len(str(view.get("private_metadata", ""))) > 3000:
        out.append("view.private_metadata over 3000 characters")
    return out


def check_message(args: dict[str, Any]) -> list[str]:
    """Problems with a message's text and blocks."""
    out = []
    text = args.get("text")
    if isinstance(text, str) and len(text) > 40000:
        out.append(f"text is {len(text)} characters, over 40000")
    if args.get("blocks") not in (None, ""):
        out += check_blocks(args["blocks"], surface="message")
    return out
