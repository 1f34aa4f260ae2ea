"""paho-mqtt's client, reading and acknowledging in bulk: the listener's network thread does less, and gives up the
GIL less often, for the same protocol.

paho reads one packet per ``select()`` and three ``recv()`` calls per packet (the command byte, the length bytes, the
rest), and an acknowledgement is one ``send()`` of four bytes plus a wake-up write to its socket pair. Each of those
system calls releases the GIL, and with the writing thread busy each takeback can wait out the interpreter's switch
interval. Here:

- ``_sock_recv`` serves paho's small reads from one ``recv()`` of up to 64 KiB, and ``loop_read`` goes on reading
  packets while that buffer holds bytes (``select()`` would not wake for bytes already read);
- ``ack_many`` queues the PUBACKs of a whole batch as one write (MQTT packets are only bytes one after another on the
  stream; the broker reads them as separate acknowledgements, in order).

Both lean on two private paho methods (``_sock_recv``, ``_packet_queue``; paho-mqtt 2.1 and 2.2 have them as used here,
and pyproject pins paho below 3); the listener's tests with a real broker cover them, restarts included.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

import paho.mqtt.client as mqtt
from paho.mqtt.client import PUBACK, MQTTErrorCode

READ_SIZE = 65536


class BulkClient(mqtt.Client):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._read_sock: object = None  # the socket the buffer was read from
        self._read_buffer = b""
        self._read_pos = 0

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._sock is not self._read_sock:  # a new connection: what was read from the old one went with it
            self._read_sock, self._read_buffer, self._read_pos = self._sock, b"", 0
        if self._read_pos >= len(self._read_buffer):
            data = super()._sock_recv(READ_SIZE)  # BlockingIOError when nothing is there; b"" when closed
            if not data:
                return data
            self._read_buffer, self._read_pos = data, 0
        start = self._read_pos
        self._read_pos = min(start + bufsize, len(self._read_buffer))
        return self._read_buffer[start : self._read_pos]

    def _buffered(self) -> bool:
        return self._sock is not None and self._sock is self._read_sock and self._read_pos < len(self._read_buffer)

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        rc = super().loop_read(max_packets)
        while rc == MQTTErrorCode.MQTT_ERR_SUCCESS and self._buffered():
            rc = super().loop_read(max_packets)
        return rc

    def ack_many(self, mids: Iterable[int]) -> None:
        """PUBACK (QoS 1) for each message id, in this order, in one write."""
        packet = b"".join(struct.pack("!BBH", PUBACK, 2, mid) for mid in mids)
        if packet:
            self._packet_queue(PUBACK, packet, 0, 1)
