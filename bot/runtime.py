"""What every listener and job needs: settings, the database, the knowledge base, Slack."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.acks import GroupCommit
from bot.config import Settings
from bot.db import Database
from bot.delivery import Delivery, DeliveryWorker, PacedClient, Pacer
from bot.delivery.clients import Clients
from bot.knowledge import KnowledgeBase
from bot.models import utcnow
from bot.tenancy import Installations, SingleWorkspace, TokenMap, Workspace
from bot.workpool import WorkPool

if TYPE_CHECKING:
    from bot.oauth.store import EncryptedInstallationStore

log = logging.getLogger(__name__)


def make_client(
    *, token: str | None, api_url: str, pacer: Pacer | None = None, team_id: str | None = None
) -> WebClient:
    """A Web API client that honours SLACK_API_URL and retries rate limits and flaky networks;
    with `pacer`, its posts take that pacer's interactive slots (and it records 429s there);
    with `team_id`, every call names that workspace (an org-wide token needs it)."""
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
        ServerErrorRetryHandler,
    )

    retries = [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=5),
        ServerErrorRetryHandler(max_retry_count=2),
    ]
    if pacer is not None:
        return PacedClient(
            token=token,
            base_url=api_url,
            timeout=15,
            retry_handlers=retries,
            pacer=pacer,
            team_id=team_id,
        )
    return WebClient(
        token=token, base_url=api_url, timeout=15, retry_handlers=retries, team_id=team_id
    )


@dataclass
class Runtime:
    """The app's long-lived collaborators, built once at start-up and shared read-only."""

    settings: Settings
    db: Database
    kb: KnowledgeBase
    clock: Callable[[], datetime] = field(default=utcnow, repr=False)
    # Workspaces each with their own bot token (team id -> token), for a fixed set of
    # installs; None: the one workspace of SLACK_BOT_TOKEN.
    bot_tokens: TokenMap | None = field(default=None, repr=False)

    def now(self) -> datetime:
        """The current time in UTC (replaceable in tests)."""
        return self.clock()

    def today(self) -> date:
        """Today's date in UTC."""
        return self.now().date()

    @cached_property
    def installation_store(self) -> EncryptedInstallationStore | None:
        """The OAuth installations of a multi-workspace deployment (None: one workspace)."""
        if not self.settings.multi_workspace:
            return None
        from bot.oauth.flow import installation_store

        return installation_store(self.settings, self.db.engine)

    @cached_property
    def clients(self) -> Clients:
        """Per workspace: the pacer of its posts and the clients with its installation's token."""
        api_url = self.settings.api_url

        def make(token: str | None, team_id: str | None, pacer: Pacer | None) -> WebClient:
            return make_client(token=token, api_url=api_url, pacer=pacer, team_id=team_id)

        store = self.installation_store
        if store is not None:
            return Clients(make, lookup=store.bot_token)
        if self.bot_tokens is not None:  # a fixed set of workspaces, each with its token
            tokens = self.bot_tokens.tokens
            return Clients(make, lookup=lambda team_id, _enterprise: tokens.get(team_id or ""))
        return Clients(make, token=self.settings.bot_token)

    @cached_property
    def pacer(self) -> Pacer:
        """This process's pacing of posts to the (single) workspace, shared by the listeners'
        replies (interactive) and the outbox's delivery (interactive or bulk, by row); with
        many workspaces each has its own (`clients.pacer`)."""
        return self.clients.pacer(None)

    @cached_property
    def client(self) -> WebClient:
        """The Web API client listeners and Bolt call with; its posts are paced as interactive.
        With many workspaces it has no token: Bolt gives each request its workspace's."""
        settings = self.settings
        if settings.multi_workspace:  # Bolt gives each request its installation's token
            return make_client(token=None, api_url=settings.api_url)
        return make_client(token=settings.bot_token, api_url=settings.api_url, pacer=self.pacer)

    @cached_property
    def installations(self) -> Installations:
        """Where the app is installed: a request from elsewhere is acknowledged and ignored."""
        if self.installation_store is not None:
            from bot.oauth.served import Served

            return Served(self.installation_store, self.db, self.clients.token)
        if self.bot_tokens is not None:
            return self.bot_tokens
        from bot import workspaces

        return SingleWorkspace(self._whoami, lambda: workspaces.home(self.db))

    def _whoami(self) -> Workspace:
        reply = self.client.auth_test()
        return Workspace(str(reply["team_id"]), reply.get("enterprise_id") or None)

    def client_for(self, workspace: Workspace | None) -> WebClient:
        """The Web API client a listener replies with: the app's (one workspace), else the
        workspace's installation's token, its posts paced as interactive in that workspace's
        pacer (`bot.delivery.clients`, where the outbox's client is chosen too)."""
        if workspace is None or not self.clients.multi_workspace:
            return self.client
        return self.clients.for_listener(workspace.team_id, workspace.enterprise_id)

    def settings_in(self, session: Session) -> Settings:
        """The settings of the workspace `session` works in: the environment's, with that
        force's own where its admins set them (`bot.services.forces`)."""
        from bot.services import forces

        return forces.effective(session=session, defaults=self.settings)

    @cached_property
    def home(self) -> Workspace:
        """The workspace of single-workspace mode: where the command line and the console
        work (`bot.workspaces.home`), learnt from auth.test by `start` and kept in the
        database."""
        from bot import workspaces

        return workspaces.home(self.db)

    def start(self) -> None:
        """At start-up: in single-workspace mode learn the workspace from auth.test once and
        give it the rows written before rows knew their workspace."""
        if self.bot_tokens is not None or not self.settings.bot_token:
            return
        from bot import workspaces

        installations = self.installations
        assert isinstance(installations, SingleWorkspace)
        try:
            home = installations.home()
        except Exception as error:  # Slack unreachable: the clock uses the recorded workspace
            log.warning("could not ask Slack which workspace this is (%s)", type(error).__name__)
            return
        workspaces.adopt(self.db, home)
        self.__dict__.pop("home", None)

    @cached_property
    def delivery(self) -> Delivery:
        """Delivers the outbox, each row with its workspace's client and pacer."""
        return Delivery(
            self.db,
            clock=lambda: self.clock(),
            clients=self.clients,
            claim_for=timedelta(seconds=self.settings.delivery_lease),
        )

    @cached_property
    def acks(self) -> GroupCommit:
        """Commits the inbox rows of requests acked at the same time together (`bot.acks`)."""
        return GroupCommit(self.db)

    @cached_property
    def work_pool(self) -> WorkPool:
        """Where listeners' work runs after Bolt's thread has acked (`bot.unit.listen`)."""
        return WorkPool()

    @cached_property
    def worker(self) -> DeliveryWorker:
        """This process's delivery worker: listeners hand it their outbox rows after commit."""
        return DeliveryWorker(self.delivery)

    @contextmanager
    def work(self, where: Workspace | str | None = None) -> Iterator[Session]:
        """A session in the workspace `where` that commits, then delivers what it put in the
        outbox, in this thread: for the clock and the command line (listeners use the unit of
        work in `bot.unit`).

        Anything it cannot send now stays in the outbox for the clock's sweep.
        """
        with self.db.session(where) as session:
            yield session
            queued = list(session.info.get("outbox_ids", []))
        self.deliver(queued)

    def deliver(self, ids: list[int]) -> None:
        """Deliver these outbox rows now; whatever fails is left for the sweep."""
        if not ids:
            return
        try:
            self.delivery.deliver(ids)
        except Exception:  # the sweep retries; a listener must not fail after its commit
            log.exception("immediate delivery failed; the sweep will retry")

    def close(self) -> None:
        """Let the work pool finish what was acked, then stop the delivery worker, each if it
        was started (undelivered rows stay for the sweep)."""
        if "work_pool" in self.__dict__:
            self.work_pool.close()
        if "worker" in self.__dict__:
            self.worker.close()

    @classmethod
    def from_settings(
        cls, settings: Settings, *, schema_checked: Callable[[], None] | None = None
    ) -> Runtime:
        """Open the database (creating or upgrading SQLite) and load the knowledge base;
        `schema_checked` is called between the two."""
        db = Database(settings.database_url)
        db.ensure_schema()
        if schema_checked is not None:
            schema_checked()
        kb = load_knowledge(settings)
        keep_loaded_out_of_collections()
        return cls(settings=settings, db=db, kb=kb)


def keep_loaded_out_of_collections() -> None:
    """What a process has loaded to serve (the knowledge base, its indexes, the modules: over
    130,000 objects) lives as long as the process: frozen, it is left out of the garbage
    collector's full collections, each of which would otherwise walk all of it (30 to 40 ms
    on a quiet machine, holding the GIL: an ack behind one waited that long). No collection
    first: after loading one finds a few dozen unreachable objects, not worth its 30 ms at
    every start."""
    gc.freeze()


def load_knowledge(settings: Settings, directory: Path | None = None) -> KnowledgeBase:
    """The knowledge base under `directory` (default: the settings'), searched by words and,
    unless CHAMPBOT_SEMANTIC is off, by meaning with the sentence model."""
    encoder = None
    if settings.semantic:  # the model's modules (and NumPy) only in a process that uses it
        from bot.knowledge.encoder import shared_encoder

        encoder = shared_encoder(settings.encoder_dir, settings.encodings_cache)
    return KnowledgeBase.load(
        directory or settings.kb_dir, encoder=encoder, encodings_cache=settings.encodings_cache
    )
