"""E-mail: the weekly report as a message, and the SMTP settings and transport that send it."""
