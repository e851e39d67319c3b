"""Installation tokens encrypted at rest: Fernet (the `cryptography` library), keyed by
CHAMPBOT_ENCRYPTION_KEY.

The key is one Fernet key (32 url-safe base64 bytes, as `champbot oauth new-key` prints), or
several separated by commas to rotate: the first encrypts, every one of them decrypts, so a new
key can go first while tokens written under the old one are still read.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.config import ConfigError

__all__ = ["InvalidToken", "TokenCipher", "cipher", "new_key"]


class WrongKey(ConfigError):
    """The key is well formed, but it is not the one the stored tokens were encrypted with."""


def new_key() -> str:
    """A fresh key for CHAMPBOT_ENCRYPTION_KEY."""
    return Fernet.generate_key().decode()


def cipher(key: str) -> TokenCipher:
    """The cipher for CHAMPBOT_ENCRYPTION_KEY, or a one-line ConfigError for a malformed key."""
    parts = [k.strip() for k in key.split(",") if k.strip()]
    if not parts:
        raise ConfigError("CHAMPBOT_ENCRYPTION_KEY is empty")
    keys = []
    for n, part in enumerate(parts, 1):
        try:
            keys.append(Fernet(part.encode()))
        except (ValueError, TypeError):
            which = "" if len(parts) == 1 else f" (key {n} of {len(parts)})"
            # Never the key itself in the message: it is a secret.
            raise ConfigError(
                f"CHAMPBOT_ENCRYPTION_KEY{which} is not a Fernet key (32 url-safe base64-encoded "
                "bytes); make one with `champbot oauth new-key`"
            ) from None
    return TokenCipher(MultiFernet(keys))


class TokenCipher:
    """Encrypts and decrypts one stored secret at a time; None stays None."""

    def __init__(self, fernet: MultiFernet) -> None:
        self._fernet = fernet

    def encrypt(self, value: str | None) -> str | None:
        if value is None:
            return None
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return self._fernet.decrypt(value.encode()).decode()
        except InvalidToken:
            raise WrongKey(
                "CHAMPBOT_ENCRYPTION_KEY does not decrypt the stored installation tokens: set "
                "the key they were written with (a new key goes first, the old one after a comma)"
            ) from None
