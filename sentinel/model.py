"""The records that flow through Sentinel, from collectors to the store.

Collectors build these in memory. Fields named ``url``, ``headers`` and ``body``
may hold raw personal data: they never reach the store, logs or alerts as they
are. ``sentinel.redact`` masks paths and query strings before an event is
written; samples are handed to the detectors and then dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class EgressEvent:
    """One request or connection leaving for a third party."""

    ts: float  # epoch seconds, UTC
    source: str  # log family or collector: squid, envoy, nginx, haproxy, zeek, suricata, vpcflow, jsonl, pcap, har
    src_ip: str = ""
    src_host: str = ""
    dst_host: str = ""  # Host header / authority / URL host / CONNECT target, lower case, no port
    dst_ip: str = ""
    dst_port: int = 0
    method: str = ""
    scheme: str = ""  # http, https, tcp, tls ...
    url: str = ""  # raw path + query (origin form) as seen; masked before storage
    status: int = 0
    bytes_out: int = 0  # request bytes sent towards the third party
    bytes_in: int = 0  # response bytes received
    duration_ms: float = 0.0
    tls_version: str = ""  # "TLSv1.2", "TLSv1.3" ...
    tls_cipher: str = ""
    sni: str = ""
    user_agent: str = ""
    http_version: str = ""
    action: str = ""  # proxy verdict or flow action when the log has one (TCP_DENIED, REJECT ...)
    # Where the record came from, for idempotent replays: (origin fingerprint, offset)
    origin: str = ""
    offset: int = 0


@dataclass(slots=True)
class TrafficSample:
    """A plaintext request seen by a TLS-terminating proxy or capture, for the detectors."""

    ts: float
    method: str
    url: str  # origin-form path + query, or absolute URL
    headers: list[tuple[str, str]]
    body: bytes  # decoded (de-chunked, decompressed), truncated to samples.max_body_bytes
    content_type: str = ""
    host: str = ""
    src_ip: str = ""
    dst_ip: str = ""
    dst_port: int = 0
    flow_id: str = ""
    body_truncated: bool = False
    source: str = ""  # pcap, live, har
    # The (origin, offset) of the EgressEvent for the same request, so findings join it.
    origin: str = ""
    offset: int = 0


@dataclass(slots=True)
class TlsHandshake:
    """What a TLS ClientHello / ServerHello pair tells about one connection."""

    ts: float
    src_ip: str
    src_port: int
    dst_ip: str
    dst_port: int
    sni: str = ""
    offered_versions: list[str] = field(default_factory=list)  # e.g. ["TLSv1.3", "TLSv1.2"]
    version: str = ""  # negotiated, from ServerHello ("" if not seen)
    cipher: str = ""  # negotiated, e.g. "0x1301" or IANA name
    offered_ciphers: list[str] = field(default_factory=list)
    alpn: list[str] = field(default_factory=list)
    ech: bool = False
    flow_id: str = ""
    source: str = ""
