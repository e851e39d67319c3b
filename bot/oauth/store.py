"""slack_sdk's own installation and OAuth-state stores on the app's database, with every token
column encrypted before it is written and decrypted when it is read.

The tables are created by the app's Alembic migrations (0013), never by `create_tables()`.
"""

from __future__ import annotations

import copy
import logging
from typing import TypeVar

from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, select

from bot.oauth.crypto import TokenCipher

log = logging.getLogger(__name__)

# The columns that hold a credential: tokens, refresh tokens, and the incoming webhook's URL
# (whoever has it can post to the channel).
BOT_SECRETS = ("bot_token", "bot_refresh_token")
INSTALLATION_SECRETS = (*BOT_SECRETS, "user_token", "user_refresh_token", "incoming_webhook_url")
STATE_LIFETIME = 600  # seconds an install link's state is good for, as Slack's codes are

T = TypeVar("T", Bot, Installation)


class EncryptedInstallationStore(InstallationStore):
    """`SQLAlchemyInstallationStore`, with every secret encrypted by `cipher` at rest."""

    def __init__(self, *, client_id: str, engine: Engine, cipher: TokenCipher) -> None:
        self.inner = SQLAlchemyInstallationStore(client_id=client_id, engine=engine, logger=log)
        self.cipher = cipher

    @property
    def logger(self) -> logging.Logger:
        return log

    # ---- writing: a copy with its secrets encrypted goes to the inner store

    def _sealed(self, item: T, fields: tuple[str, ...]) -> T:
        sealed = copy.copy(item)
        for name in fields:
            setattr(sealed, name, self.cipher.encrypt(getattr(item, name, None)))
        return sealed

    def _opened(self, item: T | None, fields: tuple[str, ...]) -> T | None:
        if item is None:
            return None
        for name in fields:
            setattr(item, name, self.cipher.decrypt(getattr(item, name, None)))
        return item

    def save(self, installation: Installation) -> None:
        # The inner store saves the installation's bot too, from the sealed copy.
        self.inner.save(self._sealed(installation, INSTALLATION_SECRETS))

    def save_bot(self, bot: Bot) -> None:
        self.inner.save_bot(self._sealed(bot, BOT_SECRETS))

    # ---- reading

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = self.inner.find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return self._opened(found, BOT_SECRETS)

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = self.inner.find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return self._opened(found, INSTALLATION_SECRETS)

    def bot_token(self, team_id: str | None, enterprise_id: str | None) -> str | None:
        """The bot token a workspace's calls are made with: its own installation's, else its
        organisation's org-wide one (None: the app is not installed there)."""
        if team_id:
            bot = self.find_bot(enterprise_id=enterprise_id, team_id=team_id)
            if bot is not None and bot.bot_token:
                return bot.bot_token
        if enterprise_id:
            org = self.find_bot(
                enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True
            )
            if org is not None and org.bot_token:
                return org.bot_token
        return None

    def installed(self, team_id: str | None, enterprise_id: str | None) -> bool:
        """Whether the app serves this workspace (bot.tenancy's `Installations`)."""
        return self.bot_token(team_id, enterprise_id) is not None

    # ---- removing (uninstalls and revocations)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.inner.delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        self.inner.delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self.delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    # ---- the key's check at start

    def check_key(self) -> None:
        """Raise `WrongKey` (one line) unless the key decrypts a stored bot token: a wrong key
        must stop the app at start, not fail every request."""
        bots = self.inner.bots
        with self.inner.engine.connect() as conn:
            sample = conn.scalar(
                select(bots.c.bot_token)
                .where(bots.c.client_id == self.inner.client_id, bots.c.bot_token.is_not(None))
                .order_by(bots.c.installed_at.desc())
                .limit(1)
            )
        self.cipher.decrypt(sample)

    def installations(self) -> list[tuple[str | None, str | None, bool]]:
        """(enterprise_id, team_id, is_enterprise_install) of every installation with a bot."""
        bots = self.inner.bots
        with self.inner.engine.connect() as conn:
            rows = conn.execute(
                select(bots.c.enterprise_id, bots.c.team_id, bots.c.is_enterprise_install)
                .where(bots.c.client_id == self.inner.client_id, bots.c.bot_token.is_not(None))
                .distinct()
            ).all()
        return [(e, t, bool(org)) for e, t, org in rows]


def state_store(engine: Engine) -> SQLAlchemyOAuthStateStore:
    """slack_sdk's state store on the app's database: each install link's state, used once."""
    return SQLAlchemyOAuthStateStore(expiration_seconds=STATE_LIFETIME, engine=engine, logger=log)
