# Receives sd_notify datagrams on a unix socket (what systemd does) and prints each, one per line.
import os, socket, sys
path = sys.argv[1]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
print("listening", flush=True)
while True:
    data = sock.recv(4096)
    for line in data.decode().splitlines():
        print(line, flush=True)
