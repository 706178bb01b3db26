"""Frames from a Linux packet socket, received without letting go of the GIL.

Python's socket methods (and scapy's, which use them) release the GIL around every
system call. Beside another busy Python thread, as the pipeline is while it scans what
the capture hands it, each release costs the capture thread that thread's switch
interval (5 ms) to get the GIL back: about 200 receives a second, and the kernel drops
the rest (2% of 15,000 packets a second were seen). Here recvmsg(2) goes through
ctypes.PyDLL, which keeps the GIL, with MSG_DONTWAIT, so the socket is drained of all
it holds between two select() calls, the only call that waits.

What scapy's receive gives is kept: the kernel's timestamp (SO_TIMESTAMPNS), the VLAN
tag the kernel moved into the ancillary data put back into the frame, and the packet
type (outgoing or not) from the link-layer address.
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
import struct

SOL_PACKET = 263
PACKET_STATISTICS = 6
PACKET_AUXDATA = 8
SO_TIMESTAMPNS = 35
SO_RCVBUFFORCE = 33
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40
ETH_P_8021Q = 0x8100
_SLL_PKTTYPE = 10  # offset of sll_pkttype in struct sockaddr_ll
_CMSG_HEADER = struct.Struct("@Nii")  # cmsg_len (size_t), cmsg_level, cmsg_type
_AUXDATA = struct.Struct("=IIIHHHH")  # struct tpacket_auxdata
_TIMESPEC = struct.Struct("=qq")
_STATISTICS = struct.Struct("=II")  # struct tpacket_stats: tp_packets, tp_drops
_ALIGN = ctypes.sizeof(ctypes.c_size_t)


class _IoVec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


class _MsgHdr(ctypes.Structure):
    _fields_ = [("msg_name", ctypes.c_void_p), ("msg_namelen", ctypes.c_uint32),
                ("msg_iov", ctypes.POINTER(_IoVec)), ("msg_iovlen", ctypes.c_size_t),
                ("msg_control", ctypes.c_void_p), ("msg_controllen", ctypes.c_size_t),
                ("msg_flags", ctypes.c_int)]


def _recvmsg():
    try:
        libc = ctypes.PyDLL(None, use_errno=True)  # PyDLL: the GIL is held across the call
        fn = libc.recvmsg
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.POINTER(_MsgHdr), ctypes.c_int]
    fn.restype = ctypes.c_ssize_t
    return fn


_RECVMSG = _recvmsg() if hasattr(socket, "AF_PACKET") else None


class PacketReceiver:
    """``receive()`` -> (frame, packet type, kernel timestamp or None), or None when the
    socket holds nothing more. One receiver per socket, used by one thread."""

    def __init__(self, sock: socket.socket, snaplen: int):
        if _RECVMSG is None:
            raise OSError(errno.ENOSYS, "recvmsg through ctypes is not available here")
        self._fd = sock.fileno()
        self._buf = ctypes.create_string_buffer(snaplen)
        self._name = ctypes.create_string_buffer(32)
        self._control = ctypes.create_string_buffer(256)
        self._iov = _IoVec(ctypes.cast(self._buf, ctypes.c_void_p), snaplen)
        self._msg = _MsgHdr()
        self._msg.msg_name = ctypes.cast(self._name, ctypes.c_void_p)
        self._msg.msg_iov = ctypes.pointer(self._iov)
        self._msg.msg_iovlen = 1
        self._msg.msg_control = ctypes.cast(self._control, ctypes.c_void_p)
        self._msg_ref = ctypes.byref(self._msg)

    def receive(self) -> tuple[bytes, int, float | None] | None:
        msg = self._msg
        while True:
            msg.msg_namelen = len(self._name)
            msg.msg_controllen = len(self._control)
            msg.msg_flags = 0
            n = _RECVMSG(self._fd, self._msg_ref, socket.MSG_DONTWAIT)
            if n >= 0:
                break
            err = ctypes.get_errno()
            if err in (errno.EAGAIN, errno.EWOULDBLOCK):
                return None
            if err != errno.EINTR:
                raise OSError(err, os.strerror(err))
        frame = ctypes.string_at(self._buf, n)
        pkttype = self._name.raw[_SLL_PKTTYPE] if msg.msg_namelen > _SLL_PKTTYPE else 0
        ts = None
        if msg.msg_controllen:
            frame, ts = _ancillary(ctypes.string_at(self._control, msg.msg_controllen), frame)
        return frame, pkttype, ts


def _ancillary(control: bytes, frame: bytes) -> tuple[bytes, float | None]:
    """The frame with its VLAN tag back in place, and the kernel's timestamp."""
    ts = None
    pos = 0
    while pos + _CMSG_HEADER.size <= len(control):
        length, level, kind = _CMSG_HEADER.unpack_from(control, pos)
        if length < _CMSG_HEADER.size:
            break
        data = control[pos + _CMSG_HEADER.size:pos + length]
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(data) >= _AUXDATA.size:
            status, _len, _snap, _mac, _net, tci, tpid = _AUXDATA.unpack_from(data)
            if tci or status & TP_STATUS_VLAN_VALID:
                tpid = tpid if status & TP_STATUS_VLAN_TPID_VALID else ETH_P_8021Q
                frame = frame[:12] + struct.pack("!HH", tpid, tci) + frame[12:]
        elif level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= _TIMESPEC.size:
            sec, nsec = _TIMESPEC.unpack_from(data)
            ts = sec + nsec * 1e-9
        pos += (length + _ALIGN - 1) // _ALIGN * _ALIGN
    return frame, ts


def grow_receive_buffer(sock: socket.socket, size: int) -> int:
    """Ask for a ``size`` byte receive queue, past net.core.rmem_max where allowed
    (CAP_NET_ADMIN); returns what the kernel granted. A burst, a garbage collection or
    a slow insert then waits in the queue instead of being dropped."""
    for option in (SO_RCVBUFFORCE, socket.SO_RCVBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, size)
            break
        except OSError:
            continue
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)


def kernel_counts(sock: socket.socket) -> tuple[int, int] | None:
    """(packets, drops) the kernel counted for the socket since the last call (reading
    resets them): drops are frames that passed the filter and found the receive queue
    full. None where the socket keeps no such counts."""
    try:
        raw = sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, _STATISTICS.size)
    except OSError:
        return None
    if len(raw) < _STATISTICS.size:
        return None
    packets, drops = _STATISTICS.unpack_from(raw)
    # tp_packets counts the dropped frames too.
    return packets, drops
