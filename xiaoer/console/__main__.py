"""`python -m xiaoer.console` serves the console; `... add-agent --store S --login L [--role trainer]`
adds an agent (`set-role` changes it later: trainers may also edit training data);
`... disable-agent --login L` logs an agent out everywhere and refuses its logins, `enable-agent` undoes it.

The password of a new agent comes from XIAOER_AGENT_PASSWORD or stdin, never from argv
(other users of the machine can read a process's arguments).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from xiaoer import logmask
from xiaoer.console.auth import ROLES
from xiaoer.settings import ConsoleSettings


def serve(settings: ConsoleSettings) -> None:
    import uvicorn

    from xiaoer.console.app import create_app
    from xiaoer.console.bootstrap import build_service

    # ws="none": SSE needs no websockets, and Rasa's pinned websockets lacks what uvicorn imports.
    # X-Forwarded-For is believed from loopback only (a proxy on this machine), never from clients:
    # the client address is what login attempts are counted by.
    uvicorn.run(
        create_app(build_service(settings)),
        host=settings.host,
        port=settings.port,
        ws="none",
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1,::1",
    )


def read_password(settings: ConsoleSettings) -> str:
    password = settings.agent_password
    if password:
        return password
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if first != getpass.getpass("again: "):
            raise SystemExit("xiaoer.console: the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def add_agent(settings: ConsoleSettings, store: str, login: str, role: str = "agent") -> None:
    from xiaoer.console.auth import AgentExists
    from xiaoer.console.bootstrap import agent_store

    agents = agent_store(settings)
    password = read_password(settings)
    try:
        agent = agents.add_agent(store, login, password, role)
    except AgentExists:
        raise SystemExit(f"xiaoer.console: agent {login!r} exists already") from None
    except ValueError as exc:
        raise SystemExit(f"xiaoer.console: {exc}") from None
    print(f"xiaoer.console: {agent.role} {agent.login} of store {agent.store_id} added")


def set_role(settings: ConsoleSettings, login: str, role: str) -> None:
    from xiaoer.console.bootstrap import agent_store

    try:
        agent_store(settings).set_role(login.strip(), role)
    except KeyError:
        raise SystemExit(f"xiaoer.console: no agent {login.strip()!r}") from None
    print(f"xiaoer.console: {login.strip()} is now {role}")


def set_disabled(settings: ConsoleSettings, login: str, disabled: bool) -> None:
    from xiaoer.console.bootstrap import agent_store

    try:
        closed = agent_store(settings).set_disabled(login.strip(), disabled)
    except KeyError:
        raise SystemExit(f"xiaoer.console: no agent {login.strip()!r}") from None
    if disabled:
        print(f"xiaoer.console: agent {login.strip()} disabled; {closed} open session(s) closed")
    else:
        print(f"xiaoer.console: agent {login.strip()} enabled")


def main(argv: list[str] | None = None) -> None:
    logmask.install()  # buyers' phones and addresses never reach the log unmasked
    parser = argparse.ArgumentParser(prog="python -m xiaoer.console")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the console (the default)")
    add = commands.add_parser("add-agent", help="add an agent; password from XIAOER_AGENT_PASSWORD or stdin")
    add.add_argument("--store", required=True)
    add.add_argument("--login", required=True)
    add.add_argument("--role", choices=ROLES, default="agent", help="trainer: may also edit training data")
    role = commands.add_parser("set-role", help="make an agent a trainer, or a trainer an agent")
    role.add_argument("--login", required=True)
    role.add_argument("--role", choices=ROLES, required=True)
    disable = commands.add_parser("disable-agent", help="log an agent out everywhere and refuse its logins")
    disable.add_argument("--login", required=True)
    enable = commands.add_parser("enable-agent", help="let a disabled agent log in again")
    enable.add_argument("--login", required=True)
    args = parser.parse_args(argv)
    settings = ConsoleSettings()
    if args.command == "add-agent":
        add_agent(settings, args.store, args.login, args.role)
    elif args.command == "set-role":
        set_role(settings, args.login, args.role)
    elif args.command in ("disable-agent", "enable-agent"):
        set_disabled(settings, args.login, disabled=args.command == "disable-agent")
    else:
        serve(settings)


if __name__ == "__main__":
    main()
