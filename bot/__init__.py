"""Chat front ends (Telegram, Zalo, web page). Not built yet: see the issue on front ends."""
