#!/usr/bin/env python3
"""loopback.py MODE [ARGS] - a loopback port for a shell test, never a fixed
one: the kernel picks it, and the port is printed (one line, flushed) only
once the socket is in the state MODE promises, so a test that has read the
line needs no sleep and has no race.  Runs until killed.

  refuse                bound, never listened on: connections are refused
                        (and nobody else can take the port meanwhile)
  hold                  listening, never accepting: the port is in use
  http DIR [--listen-when FILE]
                        an HTTP/1.0 server of the files in DIR, one request
                        line per request on stderr; with --listen-when the
                        port refuses connections until FILE exists, then
                        listens (a host that is down, then comes up)
"""
import functools
import http.server
import os
import socket
import sys
import time


def bound():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s


def main(argv):
    mode = argv[1] if len(argv) > 1 else ""
    if mode in ("refuse", "hold"):
        s = bound()
        if mode == "hold":
            s.listen(1)
        print(s.getsockname()[1], flush=True)
        while True:
            time.sleep(3600)
    if mode == "http" and len(argv) in (3, 5):
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=argv[2])
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler,
                                              bind_and_activate=False)
        srv.server_bind()
        if len(argv) == 5 and argv[3] == "--listen-when":
            print(srv.server_address[1], flush=True)  # refusing until FILE
            while not os.path.exists(argv[4]):
                time.sleep(0.05)
            srv.server_activate()  # listen()
        else:
            srv.server_activate()
            print(srv.server_address[1], flush=True)  # listening
        srv.serve_forever()
    sys.stderr.write(__doc__)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
