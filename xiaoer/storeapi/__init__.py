"""The Store API, shared by everything that talks to a store: the contract (statuses, event types,
schemas, the order lifecycle), the one HTTP client, and the order rules (which order a buyer means,
an order's latest tracking event). It imports nothing of Xiaoer above it (docs/architecture.md)."""
