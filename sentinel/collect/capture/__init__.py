"""Traffic samples from packet captures: pcap/pcapng files, rotated directories, live.

Public API::

    proc = CaptureProcessor(max_flows=..., max_buffer_bytes=..., idle_timeout=...,
                            max_body_bytes=..., sample_rate=..., on_event=...,
                            on_sample=..., on_handshake=...)
    proc.process_file(path)            # one file; returns a FileReport, never raises on bad content
    proc.process_packet(ts, linktype, frame_bytes)
    proc.flush()                       # end of input: close flows, emit what is pending
    proc.process_capture(path)         # file or directory (iter_capture_files) + flush
    proc.stats / proc.summary          # counters; summary: requests, samples, tls_handshakes,
                                       # tls_connections, flows, truncated_flows ...
    live_capture(iface, bpf, proc, stop_event)   # scapy L2 socket, raw frames
"""

from sentinel.collect.capture.live import live_capture
from sentinel.collect.capture.pcapfile import CaptureFileError, CaptureReader, iter_capture_files
from sentinel.collect.capture.processor import CaptureProcessor, FileReport

__all__ = [
    "CaptureFileError",
    "CaptureProcessor",
    "CaptureReader",
    "FileReport",
    "iter_capture_files",
    "live_capture",
]
