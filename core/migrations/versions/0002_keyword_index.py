"""The database keyword index: keyword_chunks with its full-text index, keyword_terms.

SQLite: an external-content FTS5 table over `keyword_chunks.terms`, kept in step by
triggers (so a row written or deleted in a unit of work is searchable, or gone, when that
unit commits). PostgreSQL: a generated tsvector column with a GIN index. The terms are
already analysed (`core.terms`), so both tokenisers only split on spaces: FTS5 keeps the
"3.5" and "10,000" the analyser produces as single tokens, PostgreSQL's `simple`
configuration neither stems nor drops anything.

Existing stores are indexed by `careerqa keywords build` (the migration cannot read the
vector store).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 11:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('keyword_chunks',
    sa.Column('row', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('url', sa.String(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(), nullable=False),
    sa.Column('headings', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('meta', sa.Text(), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('row'),
    sa.UniqueConstraint('id'),
    )
    with op.batch_alter_table('keyword_chunks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_keyword_chunks_url'), ['url'], unique=False)
    op.create_table('keyword_terms',
    sa.Column('term', sa.String(), nullable=False),
    sa.Column('docs', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('term'),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE keyword_chunks ADD COLUMN tsv tsvector "
                   "GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED")
        op.execute("CREATE INDEX keyword_chunks_tsv ON keyword_chunks USING gin (tsv)")
        return
    op.execute("CREATE VIRTUAL TABLE keyword_fts USING fts5(terms, content='keyword_chunks', "
               "content_rowid='row', tokenize=\"unicode61 tokenchars '.,'\")")
    op.execute("CREATE TRIGGER keyword_chunks_ai AFTER INSERT ON keyword_chunks BEGIN "
               "INSERT INTO keyword_fts(rowid, terms) VALUES (new.row, new.terms); END")
    op.execute("CREATE TRIGGER keyword_chunks_ad AFTER DELETE ON keyword_chunks BEGIN "
               "INSERT INTO keyword_fts(keyword_fts, rowid, terms) "
               "VALUES ('delete', old.row, old.terms); END")
    op.execute("CREATE TRIGGER keyword_chunks_au AFTER UPDATE ON keyword_chunks BEGIN "
               "INSERT INTO keyword_fts(keyword_fts, rowid, terms) "
               "VALUES ('delete', old.row, old.terms); "
               "INSERT INTO keyword_fts(rowid, terms) VALUES (new.row, new.terms); END")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE IF EXISTS keyword_fts")
    op.drop_table('keyword_terms')
    with op.batch_alter_table('keyword_chunks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_keyword_chunks_url'))
    op.drop_table('keyword_chunks')
