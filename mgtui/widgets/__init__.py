"""Widgets that render the stepping model and the training records."""
