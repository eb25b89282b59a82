"""Presentation: message catalogs (texts), rendering of domain values, keyboards, callback data and links.

Used by handlers and notifications; imports domain and db types, never services."""
