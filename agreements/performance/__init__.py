"""Performance of the agreed terms: items with due dates, reminders, both-sides confirmation,
defaults and what to do about them."""
