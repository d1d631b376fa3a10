"""What keeps the web app safe with untrusted pages in the database.

- Every HTML answer carries a Content-Security-Policy that allows only our own
  stylesheet: no script at all (inline or not), no frames, no plugins, forms posting
  only to us, nothing fetched from another origin. Scraped text is escaped by Jinja2's
  autoescape; links go through crawler.web.present.safe_href.
- The scrape form is protected from cross-site requests by a double-submit token: a
  random nonce in a SameSite=Strict, HttpOnly cookie and, signed (itsdangerous, with a
  key made at start-up), in a hidden field. A POST whose field does not verify against
  its cookie is refused before anything else is read.
"""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Following a link to an outlet tells it nothing about what was searched here.
    "Referrer-Policy": "no-referrer",
}
# The raw archived page: shown as text, and even a browser that sniffed it would run nothing.
RAW_HEADERS = {**HEADERS, "Content-Security-Policy": "default-src 'none'; sandbox"}
CSRF_COOKIE = "provnews_csrf"
CSRF_FIELD = "csrf_token"
CSRF_MAX_AGE_S = 2 * 3600


class Csrf:
    def __init__(self, key: bytes | None = None) -> None:
        self._signer = URLSafeTimedSerializer(key or secrets.token_bytes(32), salt="provnews-web-form")

    @staticmethod
    def new_nonce() -> str:
        return secrets.token_urlsafe(24)

    def token(self, nonce: str) -> str:
        return self._signer.dumps(nonce)

    def valid(self, token: str | None, cookie_nonce: str | None) -> bool:
        """The field's token is ours, not expired, and signs the nonce in the cookie."""
        if not token or not cookie_nonce:
            return False
        try:
            nonce = self._signer.loads(token, max_age=CSRF_MAX_AGE_S)
        except BadSignature:
            return False
        return isinstance(nonce, str) and hmac.compare_digest(nonce, cookie_nonce)


def token_matches(given: str | None, expected: str | None) -> bool:
    """The write token, compared in constant time; never true when no token is configured."""
    return bool(expected) and bool(given) and hmac.compare_digest(given.encode(), expected.encode())  # type: ignore[union-attr]
