"""The outside world on 127.0.0.1: a Twilio-compatible API and an SMTP server whose simulated people answer."""
