"""Installing the app from the deployment's own page: Bolt's `OAuthSettings` over slack_sdk's
stores on the app's database (`/slack/install`, `/slack/oauth_redirect`)."""

from __future__ import annotations

import logging

from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.config import Settings
from bot.manifest import bot_scopes
from bot.oauth import redact
from bot.oauth.crypto import cipher
from bot.oauth.served import Served
from bot.oauth.store import EncryptedInstallationStore, state_store

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


def installation_store(settings: Settings, engine: Engine) -> EncryptedInstallationStore:
    """The encrypted installation store of a multi-workspace deployment."""
    settings.require_oauth()
    assert settings.client_id and settings.encryption_key
    return EncryptedInstallationStore(
        client_id=settings.client_id, engine=engine, cipher=cipher(settings.encryption_key)
    )


def oauth_settings(
    settings: Settings,
    engine: Engine,
    store: EncryptedInstallationStore,
    served: Served,
    client: WebClient,
) -> OAuthSettings:
    """Bolt's install flow: the install page, Slack's consent page, the redirect that saves the
    installation (encrypted) and the state that ties the two ends together; once saved, its
    workspaces (all of an organisation's, for an org-wide install) are recorded as served."""
    redact.install(settings.client_secret, settings.signing_secret, settings.encryption_key)

    def success(args: SuccessArgs) -> BoltResponse:
        installation = args.installation
        served.installed_now(installation, client)
        log.info(
            "installed in %s",
            installation.team_id or installation.enterprise_id or "an unnamed workspace",
        )
        return args.default.success(args)

    return OAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=bot_scopes(),
        redirect_uri=settings.redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=settings.oauth_authorize_url,
        installation_store=store,
        state_store=state_store(engine),
        logger=logging.getLogger("champbot.oauth"),
        callback_options=CallbackOptions(success=success, failure=_failure),
    )


def _failure(args: FailureArgs) -> BoltResponse:
    log.warning("an install did not complete: %s", args.reason)
    return args.default.failure(args)


def check_at_start(store: EncryptedInstallationStore) -> None:
    """One line and a non-zero exit for a key that cannot read the stored tokens."""
    store.check_key()
    count = len(store.installations())
    log.info("serving %d installation%s", count, "" if count == 1 else "s")
