"""E-mail: the weekly report as a message, SMTP settings and transport, and the failure alert to ops."""
