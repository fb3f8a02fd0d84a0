"""The filter stage: re-judge ``tasks.jsonl`` and write the valid tasks and the rejected ones."""
