"""Channels: the back-ends that deliver pages (Twilio voice and SMS, e-mail)."""
