"""The action server's package (`rasa run actions` imports it first)."""

from xiaoer import logmask

# After rasa_sdk has configured logging: buyers' phone numbers and addresses are masked in the
# action server's log records.
logmask.install()
