"""The propose stage: ask an engine for tasks for every metadata line, write ``tasks.jsonl``."""
