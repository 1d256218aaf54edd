"""The Slack adapter: Block Kit renderers, the alert notifier and Bolt listeners.

Wire it with `build_slack(config, service)`; see `runtime.py`.
"""

from adapters.chat.slack.runtime import SlackRuntime, build_slack, check_slack_env

__all__ = ["SlackRuntime", "build_slack", "check_slack_env"]
