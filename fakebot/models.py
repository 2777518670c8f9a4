"""Records and helpers of the fake Bot API: what the bot sent, stored files, limits, wire decoding.

The Bot API takes its parameters as a query string, an url-encoded or multipart form, or a JSON
body. In a form every value is a string: strings go as they are, everything else (numbers,
booleans, lists, objects such as ``reply_markup``) is JSON-encoded, which is how
python-telegram-bot sends them. :func:`decode_form_value` undoes that.
"""

from __future__ import annotations

import html
import json
import re
import struct
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

__all__ = [
    "MAX_CAPTION_LENGTH",
    "MAX_DOWNLOAD_SIZE",
    "MAX_TEXT_LENGTH",
    "PNG_SIGNATURE",
    "BotMessage",
    "EntityParseError",
    "Limits",
    "RecordedRequest",
    "SentCall",
    "StoredFile",
    "UploadedFile",
    "buttons_of",
    "decode_form_value",
    "html_to_text",
    "is_png",
    "png_size",
    "tiny_png",
    "utf16_len",
]

MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024
"""getFile refuses files larger than this (Telegram's limit for bots)."""
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Parameters that are strings on the wire and must never be JSON-decoded ("123" stays "123").
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "url",
        "secret_token",
        "ip_address",
        "action",
        "language_code",
        "business_connection_id",
        "photo",
        "document",
        "sticker",
        "video",
        "audio",
        "animation",
        "voice",
        "thumbnail",
        "title",
        "description",
        "short_description",
        "name",
        "emoji",
        "message_effect_id",
    }
)


def decode_form_value(name: str, value: str) -> Any:
    """Decode one form field as python-telegram-bot encodes it.

    Known string parameters stay as they are; anything else is JSON when it parses as JSON
    (numbers, ``true``/``false``, lists, objects) and the raw string otherwise (``@channel``).
    """
    if name in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts text limits and offsets in."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Limits:
    """Telegram's flood limits per bot, enforced when ``FakeBotApi.enforce_limits`` is set.

    Only message sends count (sendMessage, sendPhoto, sendDocument, sendMediaGroup; an album
    counts once). A negative chat id is a group.
    """

    global_per_second: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: int = 20


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart request (or a file referred to by file_id)."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes

    @property
    def is_png(self) -> bool:
        return is_png(self.data)


@dataclass
class StoredFile:
    """A file the fake server knows: sent by a user, or uploaded by the bot."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    size: int
    file_name: str | None = None
    mime_type: str | None = None

    def as_file(self) -> dict[str, Any]:
        """The Telegram ``File`` object getFile answers with."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


@dataclass
class SentCall:
    """One successful Bot API call that acts on a chat (a send, an edit, a delete, an answer).

    ``text`` is the text or caption exactly as the bot sent it (markup included); ``time`` is
    ``time.monotonic()`` when the call arrived; ``result`` is what the server answered.
    """

    index: int
    method: str
    chat_id: int | str | None
    text: str | None
    params: dict[str, Any]
    files: list[UploadedFile]
    reply_markup: dict[str, Any] | None
    time: float
    result: Any = None

    @property
    def message_ids(self) -> list[int]:
        """Ids of the messages this call created or changed."""
        results = self.result if isinstance(self.result, list) else [self.result]
        ids = [r["message_id"] for r in results if isinstance(r, dict) and "message_id" in r]
        if not ids and isinstance(self.params.get("message_id"), int):
            ids = [self.params["message_id"]]
        return ids

    @property
    def message_id(self) -> int | None:
        ids = self.message_ids
        return ids[0] if ids else None

    @property
    def button_data(self) -> list[str]:
        """The callback_data of every inline button in ``reply_markup``."""
        return buttons_of(self.reply_markup)


@dataclass
class RecordedRequest:
    """Every request to a Bot API method, failed ones included (status is the HTTP status)."""

    method: str
    params: dict[str, Any]
    status: int
    time: float
    description: str | None = None


@dataclass
class BotMessage:
    """A message the bot sent, in its current state (edits applied)."""

    chat_id: int | str
    message_id: int
    raw: dict[str, Any]
    files: list[UploadedFile] = field(default_factory=list)
    sent_at: float = 0.0
    edits: int = 0
    deleted: bool = False

    @property
    def text(self) -> str | None:
        """Current text, or caption for media (as Telegram shows it: markup removed)."""
        value = self.raw.get("text", self.raw.get("caption"))
        return value if isinstance(value, str) else None

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        markup = self.raw.get("reply_markup")
        return markup if isinstance(markup, dict) else None

    @property
    def button_data(self) -> list[str]:
        return buttons_of(self.reply_markup)


def buttons_of(markup: dict[str, Any] | None) -> list[str]:
    """The callback_data of every button of an inline keyboard, row by row."""
    if not markup:
        return []
    rows = markup.get("inline_keyboard") or []
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


class EntityParseError(ValueError):
    """Text with ``parse_mode=HTML`` that Telegram would refuse."""


_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)


class _TelegramHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {self._at()}')
        if tag == "span" and ("class", "tg-spoiler") not in attrs:
            raise EntityParseError(f'Unsupported start tag "span" at byte offset {self._at()}')
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {self._at()}')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {self._at()}")
        expected = self.stack.pop()
        if expected != tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {self._at()}, expected "</{expected}>", '
                f'found "</{tag}>"'
            )

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def _at(self) -> int:
        return self.getpos()[1]


_TAG_LIKE = re.compile(r"<[A-Za-z/]")


def html_to_text(text: str) -> str:
    """The plain text Telegram shows for ``parse_mode=HTML`` text; raises EntityParseError."""
    if not _TAG_LIKE.search(text):
        return html.unescape(text)
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
        )
    return "".join(parser.parts)


def is_png(data: bytes) -> bool:
    """True if ``data`` starts with the PNG signature and an IHDR chunk."""
    return data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR"


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, or None if ``data`` is not a PNG."""
    if not is_png(data) or len(data) < 24:
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def tiny_png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid truecolour PNG of one colour (for tests that send or receive photos)."""
    row = b"\x00" + bytes(rgb) * width
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(row * height))
        + _chunk(b"IEND", b"")
    )
