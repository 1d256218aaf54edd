"""Every secret the test suite hands the bot, in one place, for the log-redaction check.

`tests/log_redaction.py` writes everything the suite logs through the production
redaction filter (built from CONFIGURED, as `setup_logging` builds it from the
environment) and fails the run if any of these appears. OBTAINED are tokens the bot
gets at run time (OAuth, sessions, Discord interactions): no filter knows them by value,
so they must never reach a log at all. `tests/core/test_log_redaction.py` checks that
no secret-looking literal in the tests is missing from here.
"""

from __future__ import annotations

import base64

# Slack (tests/slack, tests/core/test_serve.py, tests/core/test_config.py)
SLACK_BOT_TOKEN = "xoxb-1234-5678-testtoken"
SLACK_SIGNING_SECRET = "8f742231b10e8888abcd99ab12cd85a5"
SLACK_APP_TOKEN = "xapp-1-A0APP0001-1234567890-abcdef0123456789"
SLACK_OTHER = (
    "xapp-1-A0-123-abcdef",
    "xoxb-1-A0-123-abcdef",
    "xoxp-1234-5678-user",
    "xoxb-12 34 5678 bad",
    "xoxb-very-secret",
    "abc123",
    "xoxb-1234",
    "xoxp-nope-nope-nope",
    "not-hex",
)
SERVE_BOT_TOKEN = "xoxb-1234-5678-serve"
SERVE_SIGNING_SECRET = "0123456789abcdef0123456789abcdef"
SERVE_WEBHOOK_SECRET = "webhook-shared-secret"
# tests/core/test_failover.py, tests/deploy
DEPLOY_SECRETS = ("xoxb-1111-2222-failover", "xoxb-0000000000-deploy-test", "deploy-test-token")

# Discord (tests/discord, tests/fakes/discord_http.py)
DISCORD_BOT_TOKEN = "fake-token"
DISCORD_OTHER = ("Bot abc",)

# Sources (tests/sources)
SOURCE_SECRETS = (
    "mastodon-secret-token",
    "x-secret-bearer",
    "reddit-secret",
    "bsky-app-password",
    "whsec-relay-test-secret",
    "apify_api_secret",
    "tt-client-key",
    "tt-client-secret",
    "yt-secret-key",
    "EAAG-test-token",
    "bearer-secret",
    "super-secret",
    "SECRETKEY",
    "app-id-123",
    "wrong-secret",
)

CONFIGURED: tuple[str, ...] = (
    SLACK_BOT_TOKEN,
    SLACK_SIGNING_SECRET,
    SLACK_APP_TOKEN,
    *SLACK_OTHER,
    SERVE_BOT_TOKEN,
    SERVE_SIGNING_SECRET,
    SERVE_WEBHOOK_SECRET,
    *DEPLOY_SECRETS,
    DISCORD_BOT_TOKEN,
    *DISCORD_OTHER,
    *SOURCE_SECRETS,
)

OBTAINED: tuple[str, ...] = (
    # tests/fixtures/sources/*: session and OAuth tokens the fake APIs hand out
    "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFUzI1NksifQ.access-one.sig",
    "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFUzI1NksifQ.access-two.sig",
    "eyJ0eXAiOiJyZWZyZXNoK2p3dCJ9.refresh-one.sig",
    "eyJ0eXAiOiJyZWZyZXNoK2p3dCJ9.refresh-two.sig",
    "clt.example-client-token",
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IlNIQTI1NjpzS3dsMnlsV0VtMjVmcXhwTU40cWY4MXE2OWFFdWFyMnpLMUdhVGxjdWNZIiwidHlwIjoiSldUIn0.fake",
    "EAAG-leaked-token-must-not-be-stored",
    # HTTP Basic credentials as sent on the wire
    base64.b64encode(b"app-id-123:reddit-secret").decode(),
    # tests/discord/harness.py: interaction tokens (a prefix: each one is numbered)
    "interaction-token-",
)

ALL: tuple[str, ...] = CONFIGURED + OBTAINED
