"""The local Hub mirror: a loopback server that serves a snapshot as the Hub and the dataset viewer.

The real ``huggingface_hub.HfApi(endpoint=mirror.url)``, ``hf_hub_download(..., endpoint=...)``
and plain ``httpx`` against ``mirror.viewer_url`` work against it unchanged::

    from hubmirror import MirrorServer, FaultConfig, QuotaConfig

    with MirrorServer(snapshot_dir, latency=0.05,
                      faults=FaultConfig(rate=0.2, seed=0, kinds=("429", "500", "503", "slow")),
                      quota=QuotaConfig(limits={"api": 120, "resolvers": 600}, window_seconds=60.0),
                      page_size=1000, port=0) as mirror:
        mirror.url, mirror.viewer_url          # "http://127.0.0.1:PORT", f"{url}/viewer"
        mirror.requests                        # [RequestRecord(method, path, query, bucket, status, time, fault)]
        mirror.count(bucket="api", status=200)
        mirror.reset_log()
        mirror.set_snapshot(other_dir)         # serve another Hub state from the next request on

A snapshot that records the Hub it was taken from (``hub.json``, see ``crawl.snapshot``) is
served with an ``X-Hub-Origin: https://huggingface.co`` header on every answer: the crawler then
links records to that Hub's public pages, whatever port the mirror listens on.

Buckets are the Hub's: ``api`` (/api/...), ``resolvers`` (/datasets/{id}/resolve/...) and
``viewer`` (everything under /viewer). A request without ``Authorization: Bearer ...`` is
anonymous: it does not see private datasets and gets 401 GatedRepo for files of gated ones.

Adding routes (e.g. write endpoints): a route is ``Route(method, pattern, handler)`` where
``pattern`` is a regex matched in full against the raw (percent-encoded) path — use
``routing.REPO_ID`` for a repo id and decode captures with ``routing.repo_id_param`` /
``routing.filename_param`` — and ``handler(request: Request, ctx: MirrorContext) -> Response``.
Handlers raise ``routing.hub_error(status, message, code)`` for Hub errors, return
``routing.json_response(data)``, write into ``ctx.snapshot`` (a ``crawl.snapshot.Snapshot``)
and call ``ctx.invalidate()`` after writing. ``Route(..., needs_token=True)`` answers a request
without a token 401 before its body is read; every body is capped at ``max_body_bytes`` (413).
Two ways to add routes:

* a module of this package that defines ``ROUTES = [Route(...), ...]`` and is named in
  ``server.ROUTE_MODULES`` is served by every MirrorServer, in that order (this is how
  hub_routes, viewer_routes, uploads, refs and history are included);
* ``MirrorServer(..., extra_routes=[Route(...)])`` adds routes to one server, consulted first.
"""

from hubmirror.context import MirrorContext
from hubmirror.faults import FAULT_KINDS, FaultConfig
from hubmirror.quota import QuotaConfig
from hubmirror.routing import Request, Response, Route, hub_error, json_response, viewer_error
from hubmirror.server import MirrorServer, RequestRecord, bucket_of

__all__ = [
    "FAULT_KINDS",
    "FaultConfig",
    "MirrorContext",
    "MirrorServer",
    "QuotaConfig",
    "Request",
    "RequestRecord",
    "Response",
    "Route",
    "bucket_of",
    "hub_error",
    "json_response",
    "viewer_error",
]
