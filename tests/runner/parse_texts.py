"""`python tests/runner/parse_texts.py MODEL TEXT...`: each text parsed by the model, as one JSON
object {text: parse data} on stdout. Run in its own process so TensorFlow stays out of pytest's."""

from __future__ import annotations

import asyncio
import json
import sys


async def parse(model: str, texts: list[str]) -> dict:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    return {text: await agent.parse_message(text) for text in texts}


if __name__ == "__main__":
    result = asyncio.run(parse(sys.argv[1], sys.argv[2:]))
    print("PARSES " + json.dumps(result, ensure_ascii=False, default=str))
