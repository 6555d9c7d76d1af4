from alembic import context

from isoloir import migrations

migrations.run_env(context)
