"""Coffee: a Telegram random-coffee networking bot."""
