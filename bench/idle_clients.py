#!/usr/bin/env python3
"""Opens N keep-alive HTTP/1.1 client connections to 127.0.0.1:PORT, sends one GET on each and reads its
whole response, so every connection is a real keep-alive session between requests; then holds them idle
until stdin closes (or SIGTERM). Prints "ready N" (and the seconds it took) on stdout once all are idle.

    idle_clients.py PORT N [--path /] [--timeout 60]

Bounded: N connections, each one request; gives up after --timeout seconds. Loopback only.
"""
import argparse
import selectors
import signal
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("count", type=int)
    ap.add_argument("--path", default="/")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--batch", type=int, default=500, help="connections in flight while opening")
    args = ap.parse_args()

    request = f"GET {args.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    sel = selectors.DefaultSelector()
    held = []
    started = time.monotonic()
    pending = {}  # socket -> bytes read so far
    opened = 0

    def response_done(buf):
        head_end = buf.find(b"\r\n\r\n")
        if head_end < 0:
            return False
        length = 0
        for line in buf[:head_end].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        return len(buf) >= head_end + 4 + length

    while len(held) < args.count:
        if time.monotonic() - started > args.timeout:
            print(f"idle_clients: only {len(held)} of {args.count} connections after {args.timeout}s",
                  file=sys.stderr)
            return 1
        while opened < args.count and len(pending) < args.batch:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.connect(("127.0.0.1", args.port))
            s.sendall(request)
            s.setblocking(False)
            pending[s] = b""
            sel.register(s, selectors.EVENT_READ)
            opened += 1
        for key, _ in sel.select(timeout=1.0):
            s = key.fileobj
            try:
                chunk = s.recv(65536)
            except BlockingIOError:
                continue
            if not chunk:
                print("idle_clients: the proxy closed a connection before its response ended",
                      file=sys.stderr)
                return 1
            pending[s] += chunk
            if response_done(pending[s]):
                if not pending[s].startswith(b"HTTP/1.1 200"):
                    print("idle_clients: not a 200: " + pending[s][:80].decode(errors="replace"),
                          file=sys.stderr)
                    return 1
                sel.unregister(s)
                del pending[s]
                held.append(s)

    print(f"ready {len(held)} {time.monotonic() - started:.1f}s", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.stdin.read()  # hold until the caller closes our stdin
    closed_by_peer = 0
    for s in held:
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                closed_by_peer += 1
        except BlockingIOError:
            pass
        s.close()
    print(f"closed {len(held)} ({closed_by_peer} had been closed by the proxy)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
