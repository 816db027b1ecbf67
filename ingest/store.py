"""Store stage: chunks and their vectors in Chroma, embedded on disk or on a Chroma server."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from core.settings import Settings
from ingest.errors import StoreUnavailable
from ingest.records import Chunk


class VectorStore(Protocol):
    """What ingest and retrieval need from a vector store."""

    def replace_document(self, url: str, chunks: list[Chunk], vectors: np.ndarray) -> int: ...

    def replace_documents(self, pages: list[tuple[str, list[Chunk]]],
                          vectors: np.ndarray) -> list[int]: ...

    def delete_document(self, url: str, keep_hash: str | None = None) -> int: ...

    def document(self, url: str) -> tuple[list[Chunk], np.ndarray]: ...

    def ids_for(self, url: str) -> set[str]: ...

    def query(self, vector: np.ndarray, k: int) -> list[tuple[Chunk, float]]: ...

    def nearest(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]: ...

    def get(self, ids: list[str]) -> list[Chunk]: ...

    def all_chunks(self) -> list[Chunk]: ...

    def count(self) -> int: ...


class ChromaStore:
    """A Chroma collection holding one record per chunk, keyed by its stable id."""

    # Chroma caps the size of one write; larger pages are written in slices.
    _WRITE_BATCH = 2000
    _READ_PAGE = 5000

    def __init__(self, client: Any, collection: str) -> None:
        self._client = client
        try:
            # embedding_function=None: vectors always come from our own embedder, so
            # Chroma must never instantiate (and try to download) its default model.
            self._col = client.get_or_create_collection(
                collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
        except Exception as exc:  # chromadb raises many types for a dead server
            raise StoreUnavailable(f"cannot open Chroma collection {collection!r}: {exc}") from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> ChromaStore:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        try:
            if settings.chroma_url:
                from urllib.parse import urlparse

                parsed = urlparse(settings.chroma_url)
                client = chromadb.HttpClient(
                    host=parsed.hostname or "localhost",
                    port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                    ssl=parsed.scheme == "https",
                    settings=chroma_settings,
                )
            else:
                settings.chroma_path.mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(
                    path=str(settings.chroma_path), settings=chroma_settings
                )
        except Exception as exc:
            where = settings.chroma_url or settings.chroma_path
            raise StoreUnavailable(f"cannot reach Chroma at {where}: {exc}") from exc
        return cls(client, settings.collection)

    def replace_document(self, url: str, chunks: list[Chunk], vectors: np.ndarray) -> int:
        """Make the document's chunks exactly `chunks`; returns how many old ones went."""
        return self.replace_documents([(url, chunks)], vectors)[0]

    def replace_documents(self, pages: list[tuple[str, list[Chunk]]],
                          vectors: np.ndarray) -> list[int]:
        """`replace_document` for several pages (`vectors` row-aligned with their chunks
        in order); returns how many old chunks each page lost.

        One upsert, one lookup and one delete for the lot: each Chroma write call has a
        fixed cost (~30 ms for a 3-chunk page on this machine against ~5 ms a page inside
        a 100-page upsert), which made store writes half an ingest's time. New chunks are
        written before old ones are deleted, so a crash in between leaves complete pages
        (old and new), which the next run tidies up.
        """
        if not pages:
            return []
        chunks = [c for _, page in pages for c in page]
        for i in range(0, len(chunks), self._WRITE_BATCH):
            part = chunks[i : i + self._WRITE_BATCH]
            self._col.upsert(
                ids=[c.id for c in part],
                documents=[c.text for c in part],
                metadatas=[c.metadata() for c in part],
                embeddings=vectors[i : i + self._WRITE_BATCH].tolist(),
            )
        urls = [url for url, _ in pages]
        found = self._col.get(where={"url": {"$in": urls}}, include=["metadatas"])
        new_ids = {c.id for c in chunks}
        stale: dict[str, list[str]] = {url: [] for url in urls}
        for cid, meta in zip(found["ids"], found["metadatas"], strict=True):
            if cid not in new_ids:
                stale[meta["url"]].append(cid)
        gone = sorted(cid for ids in stale.values() for cid in ids)
        if gone:
            self._col.delete(ids=gone)
        return [len(stale[url]) for url in urls]

    def delete_document(self, url: str, keep_hash: str | None = None) -> int:
        """Delete a document's chunks (all, or all but those of version `keep_hash`)."""
        if keep_hash is None:
            ids = sorted(self.ids_for(url))
        else:
            res = self._col.get(where={"url": url}, include=["metadatas"])
            ids = sorted(cid for cid, meta in zip(res["ids"], res["metadatas"], strict=True)
                         if meta.get("doc_hash") != keep_hash)
        if ids:
            self._col.delete(ids=ids)
        return len(ids)

    def document(self, url: str) -> tuple[list[Chunk], np.ndarray]:
        """A document's chunks in reading order, with their stored vectors."""
        res = self._col.get(where={"url": url}, include=["documents", "metadatas", "embeddings"])
        rows = sorted(zip(res["ids"], res["documents"], res["metadatas"], res["embeddings"],
                          strict=True), key=lambda r: int(r[2].get("position") or 0))
        chunks = [Chunk.from_stored(cid, text, meta) for cid, text, meta, _ in rows]
        vectors = np.asarray([vec for *_, vec in rows], dtype=np.float32)
        return chunks, vectors

    def ids_for(self, url: str) -> set[str]:
        return set(self._col.get(where={"url": url}, include=[])["ids"])

    def query(self, vector: np.ndarray, k: int) -> list[tuple[Chunk, float]]:
        # No count() first: Chroma caps n_results itself, and the call cost ~4 ms a query.
        res = self._col.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
            n_results=k,
            include=["documents", "metadatas", "distances"],
        )
        out = []
        for cid, text, meta, dist in zip(
            res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0],
            strict=True,
        ):
            out.append((Chunk.from_stored(cid, text, meta), 1.0 - float(dist)))
        return out

    def nearest(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The ids and cosine similarities of the k nearest chunks, best first.

        Without documents and metadata: reading them from SQLite was most of a query's
        time (5.2 vs 1.5 ms at k=32, 14.5 vs 2.4 ms at k=128, over 10k chunks), and a
        caller that already holds the chunks (the retriever) only needs their ids.
        """
        res = self._col.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
            n_results=k,
            include=["distances"],
        )
        return [(cid, 1.0 - float(dist))
                for cid, dist in zip(res["ids"][0], res["distances"][0], strict=True)]

    def all_chunks(self) -> list[Chunk]:
        # Paged: one unbounded get() of ~50k records exceeds SQLite's variable limit.
        chunks: list[Chunk] = []
        while True:
            res = self._col.get(
                include=["documents", "metadatas"], limit=self._READ_PAGE, offset=len(chunks)
            )
            chunks += [
                Chunk.from_stored(cid, text, meta)
                for cid, text, meta in zip(
                    res["ids"], res["documents"], res["metadatas"], strict=True
                )
            ]
            if len(res["ids"]) < self._READ_PAGE:
                return chunks

    def get(self, ids: list[str]) -> list[Chunk]:
        res = self._col.get(ids=ids, include=["documents", "metadatas"])
        return [
            Chunk.from_stored(cid, text, meta)
            for cid, text, meta in zip(res["ids"], res["documents"], res["metadatas"], strict=True)
        ]

    def count(self) -> int:
        return int(self._col.count())
