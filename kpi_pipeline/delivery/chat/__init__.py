"""Chat: a week's check posted to Slack and Microsoft Teams webhooks."""
