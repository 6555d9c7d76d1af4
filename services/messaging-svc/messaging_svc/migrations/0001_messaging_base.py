"""messaging-svc branch base

Revision ID: messaging_0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

revision: str = "messaging_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("messaging",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Start the messaging branch; its tables come in the revisions that follow."""


def downgrade() -> None:
    """Nothing to undo."""
