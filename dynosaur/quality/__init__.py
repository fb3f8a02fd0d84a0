"""Checks on what was generated: decontamination, judging and reports."""
