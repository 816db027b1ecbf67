"""URLs of the bundled sample site: stored under one fixed base, published under the live one.

The app serves the sample site itself (under `SAMPLE_MOUNT`), so where its pages can be
read depends on where this process listens. The store keeps them under `STORED_SAMPLE_BASE`
whatever the port of the first start, and answers rewrite that base to the current
`public_url` when they are built, so links keep working when the service moves.
"""

from __future__ import annotations

SAMPLE_MOUNT = "/sample"
# The default public URL's sample base: stores ingested by earlier versions at the default
# port already use it, so they keep their ids.
STORED_SAMPLE_BASE = "http://127.0.0.1:8000" + SAMPLE_MOUNT + "/"


def sample_base(public_url: str) -> str:
    """Where the sample site is served for a service reached at `public_url`."""
    return public_url.rstrip("/") + SAMPLE_MOUNT + "/"


def published_url(url: str, public_url: str) -> str:
    """`url` as a reader can open it now: sample pages move to `public_url`, others stay."""
    if url.startswith(STORED_SAMPLE_BASE):
        return sample_base(public_url) + url[len(STORED_SAMPLE_BASE):]
    return url
