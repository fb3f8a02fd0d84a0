"""The files the stages hand each other: their names (``artifacts``) and shapes (tasks, records, manifests, seed
tasks, metadata lines) and the rules that make a proposed task valid."""
