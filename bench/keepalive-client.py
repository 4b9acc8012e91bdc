#!/usr/bin/env python3
"""A bounded keep-alive HTTP/1.1 client for the bench scripts: sends exactly TOTAL GETs over CONNECTIONS
keep-alive connections (one request in flight per connection, the next one after the whole response),
then prints "<answered> <seconds>". wrk always runs for its whole -d duration, even after a Lua
script stopped it, which makes a fixed count slow to measure; this stops at the count.

    keepalive-client.py HOST PORT CONNECTIONS TOTAL [PATH] [--warmup N --counter FILE]
Responses must carry a Content-Length (the proxy and nginx in front of a static file do).

With --warmup N it first sends N GETs over the same connections, then reads FILE (the number
bench/malloc_counter.c keeps, 120 ms after the warm-up so that its 50 ms writer has caught up) before
the TOTAL GETs and again after them, and prints "<answered> <seconds> <count before> <count after>":
the allocations of requests on connections that are already open, none of a connection's set-up."""
import selectors
import socket
import sys
import time


def read_counter(path):
    time.sleep(0.12)
    with open(path) as f:
        return int(f.read().strip() or 0)


def main():
    args = sys.argv[1:]
    options = {}
    for name in ("--warmup", "--counter"):
        if name in args:
            i = args.index(name)
            options[name] = args[i + 1]
            del args[i:i + 2]
    host, port, connections, total = args[0], int(args[1]), int(args[2]), int(args[3])
    path = args[4] if len(args) > 4 else "/"
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    sockets = []
    for _ in range(connections):
        s = socket.create_connection((host, port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        sockets.append(s)
    warmup = int(options.get("--warmup", 0))
    if warmup:
        send_all(sockets, request, warmup)
    before = read_counter(options["--counter"]) if "--counter" in options else None
    start = time.monotonic()
    answered = send_all(sockets, request, total)
    seconds = time.monotonic() - start
    if before is None:
        print(answered, f"{seconds:.2f}")
    else:
        print(answered, f"{seconds:.2f}", before, read_counter(options["--counter"]))


def send_all(sockets, request, total):
    """Exactly TOTAL GETs, one in flight per connection; returns how many were answered."""
    sel = selectors.DefaultSelector()
    sent = answered = 0
    buffers = {}
    for s in sockets[:total]:
        s.send(request)
        sent += 1
        buffers[s] = b""
        sel.register(s, selectors.EVENT_READ)
    deadline = time.monotonic() + 600
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
    sel.close()
    return answered


if __name__ == "__main__":
    main()
