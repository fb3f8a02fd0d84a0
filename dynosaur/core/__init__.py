"""Machinery that knows no stage: engines, the response cache, config, I/O, JSON parsing, prompts,
bundled resources, text similarity and ``fanout`` (the one "ask many" loop)."""
