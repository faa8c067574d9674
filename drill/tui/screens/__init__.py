"""The console's screens: plan, contacts, scenarios, live board, history, help."""
