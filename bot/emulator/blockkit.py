"""Block Kit checks: the limits and shapes Slack enforces on message and view blocks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from bot.emulator.elements import ElementChecker

Surface = Literal["message", "modal", "home"]

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40000
MARKDOWN_TEXT = 12000
ATTACHMENTS = 100
RESPONSE_TYPES = {"ephemeral", "in_channel"}
BLOCK_TYPES = {
    "actions",
    "call",
    "context",
    "context_actions",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "markdown",
    "rich_text",
    "section",
    "table",
    "video",
}
MESSAGE_ONLY = {"file", "markdown", "call", "table"}
TABLE_ROWS, TABLE_CELLS = 100, 20
_BLOCK_KEYS = {
    "section": {"type", "block_id", "text", "fields", "accessory", "expand"},
    "divider": {"type", "block_id"},
    "header": {"type", "block_id", "text", "level"},
    "actions": {"type", "block_id", "elements"},
    "context": {"type", "block_id", "elements"},
    "image": {"type", "block_id", "image_url", "slack_file", "alt_text", "title"},
    "table": {"type", "block_id", "rows", "column_settings"},
    "input": {
        "type",
        "block_id",
        "label",
        "element",
        "dispatch_action",
        "hint",
        "optional",
    },
}
_VIEW_KEYS = {
    "type",
    "title",
    "blocks",
    "close",
    "submit",
    "private_metadata",
    "callback_id",
    "clear_on_close",
    "notify_on_close",
    "external_id",
    "submit_disabled",
}


def parse_json(value: Any) -> tuple[Any, str | None]:
    """A JSON-format argument as data: form posts send a string, JSON posts the structure."""
    if not isinstance(value, str):
        return value, None
    try:
        return json.loads(value), None
    except ValueError as exc:
        return None, f"not valid JSON ({exc})"


class BlockChecker(ElementChecker):
    """Walks blocks on one surface, collecting every problem found (with its path)."""

    def __init__(self, surface: Surface) -> None:
        super().__init__()
        self.surface = surface
        self.block_ids: set[str] = set()
        self.tables = 0

    def blocks(self, blocks: Any, path: str = "blocks") -> None:
        if not isinstance(blocks, list):
            self.fail(path, "must be an array of blocks")
            return
        limit = MESSAGE_BLOCKS if self.surface == "message" else VIEW_BLOCKS
        if len(blocks) > limit:
            self.fail(path, f"{len(blocks)} blocks, more than the {self.surface} limit of {limit}")
        for index, block in enumerate(blocks):
            self.block(block, f"{path}[{index}]")

    def block(self, block: Any, path: str) -> None:
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            self.fail(path, "a block must be an object with a type")
            return
        kind = block["type"]
        if kind not in BLOCK_TYPES:
            self.fail(path, f"unknown block type {kind!r}")
            return
        if kind in MESSAGE_ONLY and self.surface != "message":
            self.fail(path, f"{kind} blocks can only be used in messages")
        if kind == "input" and self.surface != "modal":
            self.fail(path, "input blocks can only be used in modals")
        allowed = _BLOCK_KEYS.get(kind)
        if allowed is not None:
            for key in sorted(set(block) - allowed):
                self.fail(path, f"{kind} block has no field {key!r}")
        self._block_id(block, path)
        check = getattr(self, f"_{kind}", None)
        if check is not None:
            check(block, path)

    def _block_id(self, block: Mapping[str, Any], path: str) -> None:
        if "block_id" not in block:
            return
        block_id = block["block_id"]
        if not isinstance(block_id, str) or not block_id:
            self.fail(f"{path}.block_id", "must be a non-empty string")
            return
        self.max_len(block_id, 255, f"{path}.block_id")
        if block_id in self.block_ids:
            self.fail(f"{path}.block_id", f"duplicate block_id {block_id!r}")
        self.block_ids.add(block_id)

    def _section(self, block: Mapping[str, Any], path: str) -> None:
        if "text" not in block and "fields" not in block:
            self.fail(path, "a section needs text or fields")
        if "text" in block:
            self.text(block["text"], f"{path}.text", max_len=3000)
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list) or not fields:
                self.fail(f"{path}.fields", "must be a non-empty array")
            else:
                if len(fields) > 10:
                    self.fail(f"{path}.fields", f"{len(fields)} fields, more than 10")
                for index, field in enumerate(fields):
                    self.text(field, f"{path}.fields[{index}]", max_len=2000)
        if "accessory" in block:
            self.element(block["accessory"], f"{path}.accessory", where="accessory")

    def _header(self, block: Mapping[str, Any], path: str) -> None:
        self.text(block.get("text"), f"{path}.text", plain_only=True, max_len=150)

    def _actions(self, block: Mapping[str, Any], path: str) -> None:
        elements = self.element_list(block, path, limit=25)
        action_ids: set[str] = set()
        for index, element in enumerate(elements):
            self.element(element, f"{path}.elements[{index}]", where="actions")
            action_id = element.get("action_id") if isinstance(element, dict) else None
            if isinstance(action_id, str):
                if action_id in action_ids:
                    self.fail(f"{path}.elements[{index}]", f"duplicate action_id {action_id!r}")
                action_ids.add(action_id)

    def _context(self, block: Mapping[str, Any], path: str) -> None:
        for index, element in enumerate(self.element_list(block, path, limit=10)):
            where = f"{path}.elements[{index}]"
            if isinstance(element, dict) and element.get("type") == "image":
                self.image(element, where)
            else:
                self.text(element, where, max_len=3000)

    def _image(self, block: Mapping[str, Any], path: str) -> None:
        self.image(block, path)
        if "title" in block:
            self.text(block["title"], f"{path}.title", plain_only=True, max_len=2000)

    def _input(self, block: Mapping[str, Any], path: str) -> None:
        self.text(block.get("label"), f"{path}.label", plain_only=True, max_len=2000)
        if "hint" in block:
            self.text(block["hint"], f"{path}.hint", plain_only=True, max_len=2000)
        if "element" not in block:
            self.fail(path, "an input block needs an element")
        else:
            self.element(block["element"], f"{path}.element", where="input")

    def _markdown(self, block: Mapping[str, Any], path: str) -> None:
        text = block.get("text")
        if not isinstance(text, str) or not text:
            self.fail(f"{path}.text", "must be a non-empty string")
        else:
            self.max_len(text, MARKDOWN_TEXT, f"{path}.text")

    def _rich_text(self, block: Mapping[str, Any], path: str) -> None:
        if not isinstance(block.get("elements"), list):
            self.fail(f"{path}.elements", "must be an array")

    def _table(self, block: Mapping[str, Any], path: str) -> None:
        """A table: 1 to 100 rows of 1 to 20 cells, each raw_text or rich_text; one a message."""
        self.tables += 1
        if self.tables > 1:
            self.fail(path, "only one table block is allowed in a message")
        rows = block.get("rows")
        if not isinstance(rows, list) or not rows:
            self.fail(f"{path}.rows", "must be a non-empty array of rows")
            return
        if len(rows) > TABLE_ROWS:
            self.fail(f"{path}.rows", f"{len(rows)} rows, more than {TABLE_ROWS}")
        for r, row in enumerate(rows):
            where = f"{path}.rows[{r}]"
            if not isinstance(row, list) or not row:
                self.fail(where, "a row must be a non-empty array of cells")
                continue
            if len(row) > TABLE_CELLS:
                self.fail(where, f"{len(row)} cells, more than {TABLE_CELLS}")
            for c, cell in enumerate(row):
                self._table_cell(cell, f"{where}[{c}]")
        settings = block.get("column_settings")
        if settings is not None:
            if not isinstance(settings, list) or len(settings) > TABLE_CELLS:
                self.fail(f"{path}.column_settings", f"must be an array of at most {TABLE_CELLS}")
                return
            for i, setting in enumerate(settings):
                where = f"{path}.column_settings[{i}]"
                if setting is None:
                    continue  # a column left to the default
                if not isinstance(setting, dict) or set(setting) - {"align", "is_wrapped"}:
                    self.fail(where, "a column setting has only align and is_wrapped")
                elif setting.get("align", "left") not in ("left", "center", "right"):
                    self.fail(where, "align must be left, center or right")
                elif not isinstance(setting.get("is_wrapped", False), bool):
                    self.fail(where, "is_wrapped must be true or false")

    def _table_cell(self, cell: Any, path: str) -> None:
        kind = cell.get("type") if isinstance(cell, dict) else None
        if kind == "raw_text":
            text = cell.get("text")
            if not isinstance(text, str) or not text:
                self.fail(f"{path}.text", "a raw_text cell needs non-empty text")
            elif set(cell) - {"type", "text"}:
                self.fail(path, "a raw_text cell has only type and text")
        elif kind == "rich_text":
            self._rich_text(cell, path)
        else:
            self.fail(path, "a table cell must be raw_text or rich_text")

    def element_list(self, block: Mapping[str, Any], path: str, *, limit: int) -> list[Any]:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.fail(f"{path}.elements", "must be a non-empty array")
            return []
        if len(elements) > limit:
            self.fail(f"{path}.elements", f"{len(elements)} elements, more than {limit}")
        return elements


def check_message(args: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(error, reason) for each problem with a message's text, blocks and attachments."""
    out: list[tuple[str, str]] = []
    text = args.get("text")
    if isinstance(text, str) and len(text) > MESSAGE_TEXT:
        out.append(("msg_too_long", f"text is {len(text)} characters, over {MESSAGE_TEXT}"))
    markdown = args.get("markdown_text")
    if isinstance(markdown, str) and len(markdown) > MARKDOWN_TEXT:
        out.append(("msg_too_long", f"markdown_text is over {MARKDOWN_TEXT} characters"))
    if args.get("blocks") not in (None, ""):
        out += _check_block_list(args["blocks"], "blocks")
    if args.get("attachments") not in (None, ""):
        attachments, error = parse_json(args["attachments"])
        if error or not isinstance(attachments, list):
            out.append(("invalid_attachments", f"attachments: {error or 'must be an array'}"))
        else:
            if len(attachments) > ATTACHMENTS:
                out.append(("too_many_attachments", f"{len(attachments)} attachments"))
            for index, attachment in enumerate(attachments):
                if not isinstance(attachment, dict):
                    out.append(("invalid_attachments", f"attachments[{index}] is not an object"))
                elif "blocks" in attachment:
                    out += _check_block_list(attachment["blocks"], f"attachments[{index}].blocks")
    return out


def _check_block_list(value: Any, path: str) -> list[tuple[str, str]]:
    blocks, error = parse_json(value)
    if error:
        return [("invalid_blocks_format", f"{path}: {error}")]
    checker = BlockChecker("message")
    checker.blocks(blocks, path)
    return [("invalid_blocks", problem) for problem in checker.problems]


def check_response_body(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems with a JSON body posted to a response_url."""
    out = check_message(body)
    kind = body.get("response_type")
    if kind is not None and kind not in RESPONSE_TYPES:
        out.append(("invalid_arguments", f"response_type {kind!r} is not ephemeral|in_channel"))
    has_content = any(body.get(key) not in (None, "", []) for key in ("text", "blocks"))
    if not has_content and not body.get("delete_original") and not body.get("attachments"):
        out.append(("no_text", "a response needs text or blocks (or delete_original)"))
    return out


def check_view(value: Any, *, method: str) -> list[tuple[str, str]]:
    """(error, reason) for each problem with a view passed to views.open/update/push/publish."""
    view, error = parse_json(value)
    if error or not isinstance(view, dict):
        return [("invalid_arguments", f"view: {error or 'must be an object'}")]
    kind = view.get("type")
    wanted = {"views.publish": {"home"}, "views.update": {"modal", "home"}}.get(method, {"modal"})
    if kind not in wanted:
        return [("invalid_arguments", f"view type {kind!r} cannot be used with {method}")]
    checker = BlockChecker("modal" if kind == "modal" else "home")
    for key in sorted(set(view) - _VIEW_KEYS):
        checker.fail("view", f"views have no field {key!r}")
    if kind == "modal":
        checker.text(view.get("title"), "view.title", plain_only=True, max_len=24)
        for key in ("submit", "close"):
            if key in view:
                checker.text(view[key], f"view.{key}", plain_only=True, max_len=24)
        blocks = view.get("blocks")
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and "submit" not in view:
            checker.fail("view.submit", "a modal with input blocks needs a submit button")
    for key, limit in (("callback_id", 255), ("private_metadata", 3000), ("external_id", 255)):
        if key in view:
            if not isinstance(view[key], str):
                checker.fail(f"view.{key}", "must be a string")
            else:
                checker.max_len(view[key], limit, f"view.{key}")
    if "blocks" not in view:
        checker.fail("view.blocks", "a view needs blocks")
    else:
        checker.blocks(view["blocks"], "view.blocks")
    return [("invalid_blocks", problem) for problem in checker.problems]
