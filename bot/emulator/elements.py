"""Block Kit composition objects and block elements: text objects, buttons, menus, inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

Where = Literal["accessory", "actions", "input"]

SELECTS = {
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
}
MULTI_SELECTS = {f"multi_{kind}" for kind in SELECTS}
_INTERACTIVE = {
    "button",
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "overflow",
    "radio_buttons",
    "timepicker",
    "workflow_button",
    *SELECTS,
    *MULTI_SELECTS,
}
ALLOWED: dict[str, set[str]] = {
    "accessory": _INTERACTIVE | {"image"},
    "actions": _INTERACTIVE | {"feedback_buttons", "icon_button", "rich_text_input"},
    "input": {
        "checkboxes",
        "datepicker",
        "datetimepicker",
        "email_text_input",
        "file_input",
        "number_input",
        "plain_text_input",
        "radio_buttons",
        "rich_text_input",
        "timepicker",
        "url_text_input",
        *SELECTS,
        *MULTI_SELECTS,
    },
}
_TEXT_KEYS = {"type", "text", "emoji", "verbatim"}
_BUTTON_KEYS = {"type", "text", "action_id", "url", "value", "style", "confirm"}
_BUTTON_KEYS |= {"accessibility_label"}
_STYLES = {"primary", "danger"}


class ElementChecker:
    """Problem collection plus the checks for text objects and elements."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: str, reason: str) -> None:
        self.problems.append(f"{path}: {reason}")

    def max_len(self, value: str, limit: int, path: str) -> None:
        if len(value) > limit:
            self.fail(path, f"{len(value)} characters, more than {limit}")

    def text(self, obj: Any, path: str, *, plain_only: bool = False, max_len: int = 3000) -> None:
        """A text object: {type: plain_text|mrkdwn, text: non-empty}, within `max_len`."""
        if not isinstance(obj, dict):
            self.fail(path, "must be a text object")
            return
        kind = obj.get("type")
        if kind not in ("plain_text", "mrkdwn"):
            self.fail(path, f"text object type must be plain_text or mrkdwn, not {kind!r}")
        elif plain_only and kind != "plain_text":
            self.fail(path, "must be a plain_text object")
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self.fail(f"{path}.text", "must be a non-empty string")
        else:
            self.max_len(text, max_len, f"{path}.text")
        for key in sorted(set(obj) - _TEXT_KEYS):
            self.fail(path, f"text objects have no field {key!r}")
        if "emoji" in obj and kind != "plain_text":
            self.fail(f"{path}.emoji", "only plain_text objects take emoji")
        if "verbatim" in obj and kind != "mrkdwn":
            self.fail(f"{path}.verbatim", "only mrkdwn objects take verbatim")

    def string(self, element: Mapping[str, Any], key: str, limit: int, path: str) -> None:
        if key not in element:
            return
        value = element[key]
        if not isinstance(value, str):
            self.fail(f"{path}.{key}", "must be a string")
        else:
            self.max_len(value, limit, f"{path}.{key}")

    def element(self, element: Any, path: str, *, where: Where) -> None:
        if not isinstance(element, dict) or not isinstance(element.get("type"), str):
            self.fail(path, "an element must be an object with a type")
            return
        kind = element["type"]
        if kind not in ALLOWED[where]:
            self.fail(path, f"element type {kind!r} is not allowed in {where}")
            return
        self.string(element, "action_id", 255, path)
        if kind == "button":
            self.button(element, path)
        elif kind == "image":
            self.image(element, path)
        elif kind in SELECTS | MULTI_SELECTS:
            self.select(element, path)
        elif kind == "overflow":
            self.options(element.get("options"), f"{path}.options", limit=5, plain_only=True)
        elif kind in ("checkboxes", "radio_buttons"):
            self.options(element.get("options"), f"{path}.options", limit=10, plain_only=False)
        elif (kind.endswith("_input") or kind in ("datepicker", "timepicker")) and (
            "placeholder" in element
        ):
            self.text(element["placeholder"], f"{path}.placeholder", plain_only=True, max_len=150)
        if kind == "plain_text_input":
            for key in ("min_length", "max_length"):
                value = element.get(key)
                if value is not None and (not isinstance(value, int) or not 0 <= value <= 3000):
                    self.fail(f"{path}.{key}", "must be an integer from 0 to 3000")
        if "confirm" in element:
            self.confirm(element["confirm"], f"{path}.confirm")

    def button(self, element: Mapping[str, Any], path: str) -> None:
        self.text(element.get("text"), f"{path}.text", plain_only=True, max_len=75)
        self.string(element, "value", 2000, path)
        self.string(element, "url", 3000, path)
        self.string(element, "accessibility_label", 75, path)
        if "style" in element and element["style"] not in _STYLES:
            self.fail(f"{path}.style", f"must be primary or danger, not {element['style']!r}")
        for key in sorted(set(element) - _BUTTON_KEYS):
            self.fail(path, f"buttons have no field {key!r}")

    def image(self, element: Mapping[str, Any], path: str) -> None:
        if "image_url" not in element and "slack_file" not in element:
            self.fail(path, "an image needs image_url or slack_file")
        self.string(element, "image_url", 3000, path)
        alt = element.get("alt_text")
        if not isinstance(alt, str) or not alt:
            self.fail(f"{path}.alt_text", "must be a non-empty string")
        else:
            self.max_len(alt, 2000, f"{path}.alt_text")

    def select(self, element: Mapping[str, Any], path: str) -> None:
        if "placeholder" in element:
            self.text(element["placeholder"], f"{path}.placeholder", plain_only=True, max_len=150)
        if element["type"] in ("static_select", "multi_static_select"):
            if "options" in element:
                self.options(element["options"], f"{path}.options", limit=100, plain_only=True)
            elif "option_groups" in element:
                groups = element["option_groups"]
                if not isinstance(groups, list) or not 1 <= len(groups) <= 100:
                    self.fail(f"{path}.option_groups", "must be an array of 1 to 100 groups")
                    return
                for index, group in enumerate(groups):
                    where = f"{path}.option_groups[{index}]"
                    if not isinstance(group, dict):
                        self.fail(where, "must be an object")
                        continue
                    self.text(group.get("label"), f"{where}.label", plain_only=True, max_len=75)
                    self.options(group.get("options"), f"{where}.options", limit=100)
            else:
                self.fail(path, "a static select needs options or option_groups")

    def options(self, options: Any, path: str, *, limit: int, plain_only: bool = True) -> None:
        if not isinstance(options, list) or not options:
            self.fail(path, "must be a non-empty array of options")
            return
        if len(options) > limit:
            self.fail(path, f"{len(options)} options, more than {limit}")
        for index, option in enumerate(options):
            where = f"{path}[{index}]"
            if not isinstance(option, dict):
                self.fail(where, "an option must be an object")
                continue
            self.text(option.get("text"), f"{where}.text", plain_only=plain_only, max_len=75)
            value = option.get("value")
            if not isinstance(value, str) or not value:
                self.fail(f"{where}.value", "must be a non-empty string")
            else:
                self.max_len(value, 150, f"{where}.value")
            if "description" in option:
                self.text(option["description"], f"{where}.description", max_len=75)
            self.string(option, "url", 3000, where)

    def confirm(self, confirm: Any, path: str) -> None:
        if not isinstance(confirm, dict):
            self.fail(path, "must be a confirmation dialog object")
            return
        self.text(confirm.get("title"), f"{path}.title", plain_only=True, max_len=100)
        self.text(confirm.get("text"), f"{path}.text", max_len=300)
        self.text(confirm.get("confirm"), f"{path}.confirm", plain_only=True, max_len=30)
        self.text(confirm.get("deny"), f"{path}.deny", plain_only=True, max_len=30)
        if "style" in confirm and confirm["style"] not in _STYLES:
            self.fail(f"{path}.style", "must be primary or danger")
