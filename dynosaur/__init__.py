"""Dynosaur: instruction-tuning data from the Hugging Face Hub, and generators on the same engines."""

__version__ = "0.1.0"
