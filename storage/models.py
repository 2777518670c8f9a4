"""Tables: SQLModel families (`XBase` holds the data fields, `X` is the table).

Every timestamp is stored in UTC (`UTCDateTime`: aware UTC datetimes in Python on every
backend). Foreign keys cascade on delete from `workspace` down, so deleting a workspace
removes everything that belongs to it. Missing measurements are NULL, never 0.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

__all__ = [
    "CLAIMABLE_STATUSES",
    "EVENT_KINDS",
    "IMPORT_KINDS",
    "INBOX_STATUSES",
    "LANGUAGES",
    "MINUTE_COLUMNS",
    "MODEL_KINDS",
    "PAST_SESSION_COLUMNS",
    "PRODUCT_COLUMNS",
    "SEND_KINDS",
    "SEND_STATUSES",
    "SESSION_SOURCES",
    "SESSION_STATUSES",
    "SNAPSHOT_COLUMNS",
    "TIMELINE_KINDS",
    "VIEWER_COLUMNS",
    "ColumnMapping",
    "ColumnMappingBase",
    "ImportRecord",
    "ImportRecordBase",
    "InboxUpdate",
    "InboxUpdateBase",
    "LiveSession",
    "LiveSessionBase",
    "MinuteRow",
    "MinuteRowBase",
    "ModelVersion",
    "ModelVersionBase",
    "PastSession",
    "PastSessionBase",
    "PendingUpload",
    "PendingUploadBase",
    "ProcessedUpdate",
    "ProcessedUpdateBase",
    "ProductRow",
    "ProductRowBase",
    "ScheduledSend",
    "ScheduledSendBase",
    "SendPace",
    "SendPaceBase",
    "Snapshot",
    "SnapshotBase",
    "TimelineMark",
    "TimelineMarkBase",
    "UTCDateTime",
    "ViewerRow",
    "ViewerRowBase",
    "Workspace",
    "WorkspaceBase",
    "row_id",
    "utcnow",
]

# Deterministic constraint names: Alembic batch migrations on SQLite need them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

LANGUAGES = ("en", "zh")
SESSION_STATUSES = ("open", "closed")
SESSION_SOURCES = ("live", "import")
IMPORT_KINDS = ("minutes", "viewers", "sessions", "products")
MODEL_KINDS = ("buying_power", "forecast")
SEND_KINDS = ("summary", "digest", "retrain", "close", "nudge")
SEND_STATUSES = ("pending", "claimed", "sent", "dropped", "failed")
CLAIMABLE_STATUSES = ("pending", "claimed")
# Kinds of a timeline mark: a product starts or ends being presented, or an event happens
# (the same tuple as core.events.EVENT_KINDS; storage does not import core).
EVENT_KINDS = ("giveaway", "coupon", "price_drop", "new_product", "pin", "flash_sale", "restock")
TIMELINE_KINDS = ("product", "product_end", *EVENT_KINDS)
PRODUCT_NAME_MAX = 200
MARK_LABEL_MAX = 200

# Canonical frame columns (docs/architecture.md), in frame order.
SNAPSHOT_COLUMNS = (
    "online",
    "viewers",
    "entries",
    "likes",
    "comments",
    "shares",
    "followers",
    "clicks",
    "orders",
    "buyers",
    "gmv",
    "items",
    "avg_stay_s",
    "conversion",
    "ctr",
    "gpm",
    "impressions",
    "product_impressions",
)
MINUTE_COLUMNS = (
    "online",
    "entries",
    "exits",
    "avg_watch_s",
    "impressions",
    "clicks",
    "buyers",
    "orders",
    "gmv",
    "followers",
    "likes",
    "comments",
)
VIEWER_COLUMNS = (
    "user_id",
    "watch_time_s",
    "likes",
    "comments",
    "shares",
    "purchase_count",
    "purchase_amount",
    "spend",
    "censored",
)
PAST_SESSION_COLUMNS = (
    "started_at",
    "duration_s",
    "gmv",
    "views",
    "impressions",
    "clicks",
    "orders",
    "buyers",
    "followers",
    "peak_online",
    "avg_watch_s",
    "title",
    "room_id",
    "items",
    "ctr",
    "ctor",
    "gpm",
)
PRODUCT_COLUMNS = (
    "product_id",
    "name",
    "impressions",
    "clicks",
    "orders",
    "buyers",
    "items",
    "gmv",
    "explain_count",
    "explain_s",
)


def row_id(row: SQLModel) -> int:
    """The primary key of a stored (flushed) row, typed as the int it then always is."""
    value = getattr(row, "id", None)
    if value is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return int(value)


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored in UTC; naive input is taken as UTC, output is aware UTC.

    PostgreSQL keeps `timestamp with time zone`; SQLite keeps the naive UTC text that
    SQLAlchemy writes (`YYYY-MM-DD HH:MM:SS.ffffff`), which sorts and compares correctly.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if dialect.name == "sqlite":
            return moment.replace(tzinfo=None)
        return moment

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


# Big row tables: BIGINT ids on PostgreSQL, INTEGER (the rowid alias) on SQLite.
_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TEXT_CHECK = "{col} IN ({values})"


def _in(col: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(_TEXT_CHECK.format(col=col, values=quoted), name=col)


# ----------------------------------------------------------------------------- workspace


class WorkspaceBase(SQLModel):
    chat_id: int = Field(sa_type=sa.BigInteger, nullable=False)
    chat_type: str = Field(default="private")
    title: str | None = None
    language: str = Field(default="en")
    timezone: str = Field(default="UTC")
    digest_time: str = Field(default="09:00")
    digest_enabled: bool = True
    nudges_enabled: bool = True
    active: bool = True
    owner_user_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    """The member who ran /start (in a group: may change settings beside the chat's admins)."""
    currency: str | None = None
    """ISO 4217 code of the workspace's money figures (CNY, USD…); None until known."""
    tz_confirmed: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}, nullable=False
    )
    """Whether the time zone was chosen (not the default): /start asks until it is."""


class Workspace(WorkspaceBase, table=True):
    """One Telegram chat: a host's private chat or a team group."""

    __tablename__ = "workspace"
    __table_args__ = (
        sa.UniqueConstraint("chat_id"),
        _in("language", LANGUAGES),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# -------------------------------------------------------------------------- live_session


class LiveSessionBase(SQLModel):
    workspace_id: int = Field(foreign_key="workspace.id", ondelete="CASCADE", nullable=False)
    title: str | None = None
    status: str = Field(default="open")
    source: str = Field(default="live")
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_push_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LiveSession(LiveSessionBase, table=True):
    """A live stream; at most one open per workspace (partial unique index)."""

    __tablename__ = "live_session"
    __table_args__ = (
        sa.Index("ix_live_session_workspace_id_started_at", "workspace_id", "started_at"),
        sa.Index(
            "uq_live_session_one_open",
            "workspace_id",
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
        _in("status", SESSION_STATUSES),
        _in("source", SESSION_SOURCES),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# ------------------------------------------------------------------------------ snapshot


class SnapshotBase(SQLModel):
    session_id: int = Field(foreign_key="live_session.id", ondelete="CASCADE", nullable=False)
    ts: datetime = Field(sa_type=UTCDateTime, nullable=False)
    online: float | None = None
    viewers: float | None = None
    entries: float | None = None
    likes: float | None = None
    comments: float | None = None
    shares: float | None = None
    followers: float | None = None
    clicks: float | None = None
    orders: float | None = None
    buyers: float | None = None
    gmv: float | None = None
    items: float | None = None
    avg_stay_s: float | None = None
    conversion: float | None = None  # a fraction: 0.032 is 3.2 %
    ctr: float | None = None  # a fraction
    gpm: float | None = None
    impressions: float | None = None
    product_impressions: float | None = None
    dedupe_key: str = Field(nullable=False)
    author_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    """Who sent the push (a Telegram user id), when known."""
    answer_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    """The bot's message that answered the push (several pushes share a merged answer)."""


class Snapshot(SnapshotBase, table=True):
    """Numbers pushed during a stream (`online` now; the others running totals)."""

    __tablename__ = "snapshot"
    __table_args__ = (
        sa.UniqueConstraint("dedupe_key"),
        sa.Index("ix_snapshot_session_id_ts", "session_id", "ts"),
        sa.Index("ix_snapshot_session_id_answer_id", "session_id", "answer_id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=_BigId)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# -------------------------------------------------------------------------- import_record


class ImportRecordBase(SQLModel):
    workspace_id: int = Field(foreign_key="workspace.id", ondelete="CASCADE", nullable=False)
    session_id: int | None = Field(default=None, foreign_key="live_session.id", ondelete="CASCADE")
    kind: str
    filename: str | None = None
    content_hash: str = Field(nullable=False)
    rows: int = 0
    dedupe_key: str | None = None


class ImportRecord(ImportRecordBase, table=True):
    """One imported file; its content hash is unique per workspace."""

    __tablename__ = "import_record"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "content_hash"),
        sa.UniqueConstraint("dedupe_key"),
        sa.Index("ix_import_record_session_id", "session_id"),
        _in("kind", IMPORT_KINDS),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# ----------------------------------------------------------------------------- minute_row


class MinuteRowBase(SQLModel):
    session_id: int = Field(foreign_key="live_session.id", ondelete="CASCADE", nullable=False)
    import_id: int | None = Field(default=None, foreign_key="import_record.id", ondelete="CASCADE")
    ts: datetime = Field(sa_type=UTCDateTime, nullable=False)
    online: float | None = None
    entries: float | None = None
    exits: float | None = None
    avg_watch_s: float | None = None
    impressions: float | None = None
    clicks: float | None = None
    buyers: float | None = None
    orders: float | None = None
    gmv: float | None = None
    followers: float | None = None
    likes: float | None = None
    comments: float | None = None


class MinuteRow(MinuteRowBase, table=True):
    """One minute of a session's timeline (per-minute counts)."""

    __tablename__ = "minute_row"
    __table_args__ = (
        sa.Index("uq_minute_row_session_id_ts", "session_id", "ts", unique=True),
        sa.Index("ix_minute_row_import_id", "import_id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=_BigId)


# ----------------------------------------------------------------------------- viewer_row


class ViewerRowBase(SQLModel):
    session_id: int = Field(foreign_key="live_session.id", ondelete="CASCADE", nullable=False)
    import_id: int | None = Field(default=None, foreign_key="import_record.id", ondelete="CASCADE")
    user_id: str | None = None
    watch_time_s: float | None = None
    likes: float | None = None
    comments: float | None = None
    shares: float | None = None
    purchase_count: float | None = None
    purchase_amount: float | None = None
    spend: float | None = None
    censored: bool | None = None


class ViewerRow(ViewerRowBase, table=True):
    """One viewer of one session."""

    __tablename__ = "viewer_row"
    __table_args__ = (
        # also serves lookups by session alone (its leading column)
        sa.Index("uq_viewer_row_session_id_user_id", "session_id", "user_id", unique=True),
        sa.Index("ix_viewer_row_import_id", "import_id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=_BigId)


# --------------------------------------------------------------------------- past_session


class PastSessionBase(SQLModel):
    workspace_id: int = Field(foreign_key="workspace.id", ondelete="CASCADE", nullable=False)
    import_id: int | None = Field(default=None, foreign_key="import_record.id", ondelete="CASCADE")
    room_id: str | None = None
    title: str | None = None
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    duration_s: float | None = None
    gmv: float | None = None
    views: float | None = None
    impressions: float | None = None
    clicks: float | None = None
    orders: float | None = None
    buyers: float | None = None
    followers: float | None = None
    peak_online: float | None = None
    avg_watch_s: float | None = None
    items: float | None = None
    ctr: float | None = None
    """The platform's own figures, as its export states them (shares; GMV per 1,000 views)."""
    ctor: float | None = None
    gpm: float | None = None


class PastSession(PastSessionBase, table=True):
    """One past stream from a platform's sessions export."""

    __tablename__ = "past_session"
    __table_args__ = (
        sa.Index("ix_past_session_workspace_id_started_at", "workspace_id", "started_at"),
        sa.Index("ix_past_session_import_id", "import_id"),
        # one row per stream: by the platform's room id, else by its start time
        sa.Index(
            "uq_past_session_workspace_id_room_id",
            "workspace_id",
            "room_id",
            unique=True,
            sqlite_where=sa.text("room_id IS NOT NULL"),
            postgresql_where=sa.text("room_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_past_session_workspace_id_started_at",
            "workspace_id",
            "started_at",
            unique=True,
            sqlite_where=sa.text("room_id IS NULL"),
            postgresql_where=sa.text("room_id IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)


# ------------------------------------------------------------------------ processed_update


class ProcessedUpdateBase(SQLModel):
    chat_id: int = Field(sa_type=sa.BigInteger, nullable=False)
    message_id: int = Field(sa_type=sa.BigInteger, nullable=False)
    kind: str


class ProcessedUpdate(ProcessedUpdateBase, table=True):
    """A Telegram message whose state change was applied (written in the same transaction)."""

    __tablename__ = "processed_update"
    __table_args__ = (sa.UniqueConstraint("chat_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# --------------------------------------------------------------------------- model_version


class ModelVersionBase(SQLModel):
    kind: str
    version: int
    trained_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    rows_used: int | None = None
    metrics: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    active: bool = False
    sha256: str
    path: str


class ModelVersion(ModelVersionBase, table=True):
    """A trained model stored on disk (skops) with its hash; one active per kind."""

    __tablename__ = "model_version"
    __table_args__ = (
        sa.UniqueConstraint("kind", "version"),
        _in("kind", MODEL_KINDS),
    )

    id: int | None = Field(default=None, primary_key=True)


# -------------------------------------------------------------------------- scheduled_send


class ScheduledSendBase(SQLModel):
    kind: str
    workspace_id: int | None = Field(default=None, foreign_key="workspace.id", ondelete="CASCADE")
    key: str = Field(nullable=False)
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = Field(default="pending")
    claimed_by: str | None = None
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
    payload: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    session_id: int | None = None
    """The live session the send is about (summaries and nudges)."""


class ScheduledSend(ScheduledSendBase, table=True):
    """A message (or job) due at a time, claimed in the database so it runs once."""

    __tablename__ = "scheduled_send"
    __table_args__ = (
        sa.UniqueConstraint("key"),
        sa.Index("ix_scheduled_send_status_due_at", "status", "due_at"),
        sa.Index("ix_scheduled_send_workspace_id", "workspace_id"),
        sa.Index("ix_scheduled_send_kind_session_id", "kind", "session_id"),
        _in("kind", SEND_KINDS),
        _in("status", SEND_STATUSES),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# ------------------------------------------------------------------------------ send_pace


class SendPaceBase(SQLModel):
    key: str = Field(primary_key=True)
    tat: float = Field(nullable=False)
    """The theoretical arrival time of the next send (seconds since the epoch, GCRA)."""


class SendPace(SendPaceBase, table=True):
    """Telegram's send limits shared by every instance: one row per paced key (`global`,
    `chat:<id>`), moved forward by each send (`storage.repositories.pace`)."""

    __tablename__ = "send_pace"


# ------------------------------------------------------------------------- column_mapping


class ColumnMappingBase(SQLModel):
    workspace_id: int = Field(foreign_key="workspace.id", ondelete="CASCADE", nullable=False)
    signature: str = Field(nullable=False)
    """The file's header row, reduced (`storage.importers.kinds.header_signature`)."""
    field: str = Field(nullable=False)
    header: str = Field(nullable=False)


class ColumnMapping(ColumnMappingBase, table=True):
    """Which header of a file layout holds a canonical field, as the workspace answered."""

    __tablename__ = "column_mapping"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "signature", "field"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# ------------------------------------------------------------------------- pending_upload


class PendingUploadBase(SQLModel):
    workspace_id: int = Field(foreign_key="workspace.id", ondelete="CASCADE", nullable=False)
    user_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    file_id: str = Field(nullable=False)
    filename: str | None = None
    caption: str | None = None
    signature: str = Field(nullable=False)
    kind: str
    headers: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    missing: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    answers: dict[str, str] = Field(default_factory=dict, sa_type=sa.JSON)


class PendingUpload(PendingUploadBase, table=True):
    """An upload waiting for the host to say which column holds a required field."""

    __tablename__ = "pending_upload"
    __table_args__ = (sa.Index("ix_pending_upload_workspace_id", "workspace_id"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# ------------------------------------------------------------------------- session_figures

SESSION_FIGURE_COLUMNS = (
    "gmv",
    "orders",
    "buyers",
    "viewers",
    "views",
    "peak_online",
    "avg_online",
    "duration_s",
    "half_life_s",
    "conversion",
)
"""The headline figures kept as columns (history, comparisons, digests read these)."""


class SessionFiguresBase(SQLModel):
    session_id: int = Field(foreign_key="live_session.id", ondelete="CASCADE", primary_key=True)
    definitions_version: int = Field(nullable=False)
    computed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    gmv: float | None = None
    orders: float | None = None
    buyers: float | None = None
    viewers: float | None = None
    views: float | None = None
    peak_online: float | None = None
    avg_online: float | None = None
    duration_s: float | None = None
    half_life_s: float | None = None
    conversion: float | None = None
    figures: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    """Every figure as {"values": {name: {"value", "source"}}, "reconciliation": […]}."""


class SessionFigures(SessionFiguresBase, table=True):
    """A session's figures as `core.figures` computed them (one row a session), written
    when it closes and whenever its data changes; an older ``definitions_version`` is
    recomputed when read."""

    __tablename__ = "session_figures"


# ---------------------------------------------------------------------------- inbox_update

INBOX_STATUSES = ("pending", "claimed", "running", "done")


class InboxUpdateBase(SQLModel):
    update_id: int = Field(sa_type=sa.BigInteger, nullable=False)
    chat_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    """The chat the update belongs to (None for updates of no chat): one chat in order."""
    payload: dict[str, Any] = Field(sa_type=sa.JSON, nullable=False)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    status: str = Field(default="pending")
    claimed_by: str | None = None
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class InboxUpdate(InboxUpdateBase, table=True):
    """A Telegram update as it arrived, stored before Telegram is told it was received and
    processed from here: once (`update_id` is unique), in order per chat, across instances
    (`storage.repositories.inbox`)."""

    __tablename__ = "inbox_update"
    __table_args__ = (
        sa.UniqueConstraint("update_id"),
        sa.Index("ix_inbox_update_status_chat_id", "status", "chat_id"),
        _in("status", INBOX_STATUSES),
    )

    id: int | None = Field(default=None, sa_type=_BigId, primary_key=True)


# ----------------------------------------------------------------------------- product_row


class ProductRowBase(SQLModel):
    session_id: int = Field(foreign_key="live_session.id", ondelete="CASCADE", nullable=False)
    import_id: int | None = Field(default=None, foreign_key="import_record.id", ondelete="CASCADE")
    product_id: str | None = None
    name: str | None = Field(default=None, max_length=PRODUCT_NAME_MAX)
    impressions: float | None = None
    clicks: float | None = None
    orders: float | None = None
    buyers: float | None = None
    items: float | None = None
    gmv: float | None = None
    explain_count: float | None = None
    explain_s: float | None = None


class ProductRow(ProductRowBase, table=True):
    """One product of one session, from a platform's product export."""

    __tablename__ = "product_row"
    __table_args__ = (
        sa.Index("ix_product_row_session_id", "session_id"),
        sa.Index("ix_product_row_import_id", "import_id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=_BigId)


# ---------------------------------------------------------------------------- timeline_mark


class TimelineMarkBase(SQLModel):
    session_id: int = Field(foreign_key="live_session.id", ondelete="CASCADE", nullable=False)
    ts: datetime = Field(sa_type=UTCDateTime, nullable=False)
    kind: str
    label: str | None = Field(default=None, max_length=MARK_LABEL_MAX)
    product_no: int | None = None
    dedupe_key: str = Field(nullable=False)


class TimelineMark(TimelineMarkBase, table=True):
    """A moment on a stream's timeline told from chat: a product presented, or an event."""

    __tablename__ = "timeline_mark"
    __table_args__ = (
        sa.UniqueConstraint("dedupe_key"),
        sa.Index("ix_timeline_mark_session_id_ts", "session_id", "ts"),
        _in("kind", TIMELINE_KINDS),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
