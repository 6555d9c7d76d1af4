"""contacts-svc branch base

Revision ID: contacts_0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

revision: str = "contacts_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("contacts",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Start the contacts branch; its tables come in the revisions that follow."""


def downgrade() -> None:
    """Nothing to undo."""
