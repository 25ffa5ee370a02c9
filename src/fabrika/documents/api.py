"""Attachment endpoints."""
