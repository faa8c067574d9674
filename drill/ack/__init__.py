"""Acknowledgements from the outside world: the webhook and link server, reply polling."""
