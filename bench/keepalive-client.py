#!/usr/bin/env python3
"""A bounded keep-alive HTTP/1.1 client for the bench scripts: sends exactly TOTAL GETs over CONNECTIONS
keep-alive connections (one request in flight per connection, the next one after the whole response),
then prints "<answered> <seconds>". wrk always runs for its whole -d duration, even after a Lua
script stopped it, which makes a fixed count slow to measure; this stops at the count.

    keepalive-client.py HOST PORT CONNECTIONS TOTAL [PATH]
Responses must carry a Content-Length (the proxy and nginx in front of a static file do)."""
import selectors
import socket
import sys
import time


def main():
    host, port, connections, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    path = sys.argv[5] if len(sys.argv) > 5 else "/"
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    sel = selectors.DefaultSelector()
    sent = answered = 0
    buffers = {}
    start = time.monotonic()
    for _ in range(min(connections, total)):
        s = socket.create_connection((host, port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        s.send(request)
        sent += 1
        buffers[s] = b""
        sel.register(s, selectors.EVENT_READ)
    deadline = start + 600
    while answered < total and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=5):
            s = key.fileobj
            data = s.recv(65536)
            if not data:
                raise SystemExit(f"keepalive-client: the server closed a connection after {answered} answers")
            buf = buffers[s] + data
            while True:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    break
                length = 0
                for line in buf[:end].split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if len(buf) < end + 4 + length:
                    break
                buf = buf[end + 4 + length:]
                answered += 1
                if sent < total:
                    s.send(request)
                    sent += 1
            buffers[s] = buf
    print(answered, f"{time.monotonic() - start:.2f}")


if __name__ == "__main__":
    main()
