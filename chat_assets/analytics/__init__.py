"""Derived tables: conversations, daily engagement and sentiment. They read only the canonical
`messages` table (and each other) and know nothing about vendors."""
