"""The bundled demo Hub: a snapshot-building helper and the demo dataset specs."""
