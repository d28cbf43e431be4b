"""The agent console and the buyer web chat page (FastAPI): `python -m xiaoer.console`."""
