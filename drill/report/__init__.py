"""Drill reports: a pure function of a drill's events, rendered as HTML, Markdown, JSON, CSV."""
