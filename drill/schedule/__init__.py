"""The drill calendar: scheduled drills and reminders (APScheduler)."""
