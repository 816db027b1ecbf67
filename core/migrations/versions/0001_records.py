"""The records: pages, runs, log, links, pending writes, feedback, jobs, index generation,
sentence vectors, rate buckets.

Revision ID: 0001
Revises:
Create Date: 2026-12-01 08:39:41.879805
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

# One active job per request key (core.jobs.enqueue).
_ACTIVE = "status IN ('queued', 'running')"


def upgrade() -> None:
    op.create_table('feedback',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.String(), nullable=False),
    sa.Column('rating', sa.String(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('sentence', sa.Text(), nullable=True),
    sa.Column('citation', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('index_generation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    # The one generation row, created here so that replicas only ever update it.
    op.execute("INSERT INTO index_generation (id, generation, changed_at) VALUES (1, 0, '')")
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('request', sa.Text(), nullable=False),
    sa.Column('created_at', sa.String(), nullable=False),
    sa.Column('started_at', sa.String(), nullable=True),
    sa.Column('finished_at', sa.String(), nullable=True),
    sa.Column('heartbeat', sa.Float(), nullable=True),
    sa.Column('worker', sa.String(), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('progress', sa.Text(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('jobs_active_key', ['key'], unique=True,
                              sqlite_where=sa.text(_ACTIVE), postgresql_where=sa.text(_ACTIVE))
        batch_op.create_index('jobs_status', ['status', 'id'], unique=False)

    op.create_table('links',
    sa.Column('url', sa.String(), nullable=False),
    sa.Column('targets', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('url')
    )
    op.create_table('log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.String(), nullable=False),
    sa.Column('url', sa.String(), nullable=False),
    sa.Column('decision', sa.String(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_log_url'), ['url'], unique=False)

    op.create_table('pages',
    sa.Column('url', sa.String(), nullable=False),
    sa.Column('source', sa.String(), server_default='', nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('reason', sa.String(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('doc_hash', sa.String(), nullable=True),
    sa.Column('etag', sa.String(), nullable=True),
    sa.Column('last_modified', sa.String(), nullable=True),
    sa.Column('fetched_at', sa.String(), nullable=True),
    sa.Column('chunk_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('duplicate_of', sa.String(), nullable=True),
    sa.Column('near_duplicate_of', sa.String(), nullable=True),
    sa.Column('signature', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('url')
    )
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pages_doc_hash'), ['doc_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_pages_duplicate_of'), ['duplicate_of'], unique=False)

    op.create_table('pending_writes',
    sa.Column('url', sa.String(), nullable=False),
    sa.Column('doc_hash', sa.String(), nullable=False),
    sa.Column('at', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('url')
    )
    op.create_table('rate_buckets',
    sa.Column('client', sa.String(), nullable=False),
    sa.Column('tokens', sa.Float(), nullable=False),
    sa.Column('updated', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('client')
    )
    op.create_table('runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('started_at', sa.String(), nullable=False),
    sa.Column('finished_at', sa.String(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('sentence_vectors',
    sa.Column('key', sa.LargeBinary(), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade() -> None:
    op.drop_table('sentence_vectors')
    op.drop_table('runs')
    op.drop_table('rate_buckets')
    op.drop_table('pending_writes')
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pages_duplicate_of'))
        batch_op.drop_index(batch_op.f('ix_pages_doc_hash'))

    op.drop_table('pages')
    with op.batch_alter_table('log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_log_url'))

    op.drop_table('log')
    op.drop_table('links')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('jobs_status')
        batch_op.drop_index('jobs_active_key')

    op.drop_table('jobs')
    op.drop_table('index_generation')
    op.drop_table('feedback')
