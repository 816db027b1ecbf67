"""careerqa's hybrid retrieval (dense + BM25, fused, diversified) as a llama-index retriever."""

from __future__ import annotations

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from app.retrieve import HybridRetriever


class HybridNodeRetriever(BaseRetriever):
    """Returns careerqa's top chunks as llama-index nodes, with their citation metadata.

    Each node keeps the chunk id as its id and the page URL, title, section path and
    offsets as metadata, so a llama-index answer built on them can be cited and checked
    just like careerqa's own.
    """

    def __init__(self, retriever: HybridRetriever, top_k: int | None = None) -> None:
        super().__init__()
        self.retriever = retriever
        self.top_k = top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        retrieval = self.retriever.retrieve(query_bundle.query_str, self.top_k)
        return [
            NodeWithScore(
                node=TextNode(
                    id_=hit.chunk.id,
                    text=hit.chunk.text,
                    metadata={"url": hit.chunk.url, "title": hit.chunk.title,
                              "heading_path": " > ".join(hit.chunk.heading_path),
                              "start": hit.chunk.start, "end": hit.chunk.end},
                ),
                score=hit.score,
            )
            for hit in retrieval.hits
        ]
