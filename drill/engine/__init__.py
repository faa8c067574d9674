"""The drill engine: escalation state machine, events and clocks. Pure asyncio, no I/O."""
