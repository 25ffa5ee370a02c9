"""CRM endpoints."""
