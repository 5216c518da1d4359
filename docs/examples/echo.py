#!/usr/bin/env python3
"""An echo server whose worker threads serve its sockets while idle.

Clients talk to the server over socketpairs. The server registers a reader
for each socket on one park.Driver; its worker threads park on that driver,
so whichever worker is idle in the driver runs the reader callbacks inside
its park(): they read the lines and queue them. Each line queued unparks a
worker, which answers it. No thread is dedicated to I/O.
"""

import collections
import socket
import threading
from typing import Deque, Dict, List, Tuple

import park

Job = Tuple[socket.socket, bytes]


class Server:
    def __init__(self, workers: int) -> None:
        self.driver = park.Driver()
        self.jobs: Deque[Job] = collections.deque()
        self.partial: Dict[socket.socket, bytes] = {}
        self.parkers = [park.Parker(self.driver) for _ in range(workers)]
        self.wakers = [p.unparker() for p in self.parkers]
        self.served: "collections.Counter[str]" = collections.Counter()
        self.stopping = False
        self.threads = [threading.Thread(target=self.work, args=(i,))
                        for i in range(workers)]

    def serve(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self.partial[sock] = b""
        self.driver.add_reader(sock, self.readable, sock)

    def readable(self, sock: socket.socket) -> None:
        # Runs inside the park of whichever worker holds the driver.
        data = sock.recv(4096)
        if not data:
            self.driver.remove_reader(sock)
            return
        *lines, self.partial[sock] = (self.partial[sock] + data).split(b"\n")
        for line in lines:
            self.jobs.append((sock, line))
            self.wakers[len(self.jobs) % len(self.wakers)].unpark()
        name = threading.current_thread().name
        self.served[name] += 1

    def work(self, i: int) -> None:
        parker = self.parkers[i]
        while not self.stopping:
            try:
                sock, line = self.jobs.popleft()
            except IndexError:
                parker.park()
                continue
            sock.sendall(b"echo " + line + b"\n")

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def stop(self) -> None:
        self.stopping = True
        for u in self.wakers:
            u.unpark()
        for t in self.threads:
            t.join()
        self.driver.close()


def main(clients: int = 3, lines: int = 20) -> None:
    server = Server(workers=3)
    ends: List[socket.socket] = []
    for _ in range(clients):
        client, served = socket.socketpair()
        server.serve(served)
        ends.append(client)
    server.start()
    for n in range(lines):
        ends[n % clients].sendall(b"line %d\n" % n)
    answers: List[bytes] = []
    for n, client in enumerate(ends):
        expected = len(range(n, lines, clients))
        buf = b""
        while buf.count(b"\n") < expected:
            buf += client.recv(4096)
        answers += buf.splitlines()
    server.stop()
    print(f"{len(answers)} lines echoed; reads served by {dict(server.served)}")
    assert sorted(answers) == sorted(b"echo line %d" % n for n in range(lines))


if __name__ == "__main__":
    main()
