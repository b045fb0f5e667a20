"""The HTTP routes of the API, one module per concern (the chat page and the bot webhooks live in bot/)."""
